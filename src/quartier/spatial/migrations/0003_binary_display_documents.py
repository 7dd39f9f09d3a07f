"""Stored map geometry became a binary document (quartier.core.geodoc): the JSON ones go.

Their keys no longer match (the key includes the format), so they would only take space.
The server prepares the current documents again before it accepts connections
(quartier.warmup.preload).
"""

from django.db import migrations


def drop_json_documents(apps, schema_editor):
    apps.get_model("spatial", "StoredDisplay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("spatial", "0002_storeddisplay")]

    operations = [migrations.RunPython(drop_json_documents, migrations.RunPython.noop)]
