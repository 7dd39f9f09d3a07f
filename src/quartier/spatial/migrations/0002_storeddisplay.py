import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("spatial", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="StoredDisplay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=40)),
                ("etag", models.CharField(max_length=40)),
                ("gzipped", models.BinaryField()),
                ("built_at", models.DateTimeField(auto_now_add=True)),
                (
                    "level",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="displays",
                        to="spatial.level",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("level", "key"), name="display_unique_key")
                ]
            },
        ),
    ]
