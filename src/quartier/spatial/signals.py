"""Keep the in-process area index and the stored display geometry fresh when areas change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from quartier.spatial.display import clear_display_cache, forget_level
from quartier.spatial.index import clear_area_index
from quartier.spatial.models import Area, Level


@receiver([post_save, post_delete], sender=Area)
def _forget_area(instance, **_kwargs) -> None:
    clear_area_index()
    forget_level(instance.level_id)


@receiver([post_save, post_delete], sender=Level)
def _forget_level(instance, signal, **_kwargs) -> None:
    clear_area_index()
    if signal is post_save:  # a deleted level's documents go with it (cascade)
        forget_level(instance.pk)
    else:
        clear_display_cache()
