from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"
