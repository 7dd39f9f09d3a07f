from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports: area profiles (Steckbriefe) as PDF."""

    name = "quartier.reports"
    label = "reports"
    verbose_name = "Berichte"
