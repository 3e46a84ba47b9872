from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Public subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from journalists import personal_data

        from . import services

        personal_data.register("subscriptions", services.export_subscriber, services.erase_subscriber)
