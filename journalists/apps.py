from django.apps import AppConfig


class JournalistsConfig(AppConfig):
    name = "journalists"
    verbose_name = "Media directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import personal_data

        # The directory's own part of "everything about an address"; other apps register theirs the same way.
        personal_data.register("journalists", personal_data.export_journalist, personal_data.erase_journalist)
