from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_job_queue"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("geometry", "Geometrien"),
                    ("table", "Statistiktabelle"),
                    ("microdata", "Einzeldaten (Adressen oder Koordinaten)"),
                    ("register", "Hauskoordinaten"),
                    ("analysis", "Analyse"),
                ],
                max_length=10,
                verbose_name="Art",
            ),
        ),
    ]
