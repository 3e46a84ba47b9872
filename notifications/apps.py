from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from releases.signals import transition_recorded

        from . import services

        transition_recorded.connect(services.on_transition_recorded, dispatch_uid="notifications.outbox")
