"""Keep the in-process area index fresh when areas or levels are edited."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from quartier.spatial.display import clear_display_cache
from quartier.spatial.index import clear_area_index
from quartier.spatial.models import Area, Level


@receiver([post_save, post_delete], sender=Area)
@receiver([post_save, post_delete], sender=Level)
def _forget_index(**_kwargs) -> None:
    clear_area_index()
    clear_display_cache()
