"""The analysis kind is a key of the method registry, no longer a fixed list of choices."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("analysis", "0002_inputs_and_confidentiality")]

    operations = [
        migrations.AlterField(
            model_name="analysis",
            name="kind",
            field=models.CharField(max_length=40, verbose_name="Art"),
        ),
    ]
