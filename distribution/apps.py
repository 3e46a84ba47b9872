from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    verbose_name = "Distribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from journalists import personal_data
        from django.core import checks

        from releases import admin_panels, signals

        from . import admin, digest, services

        checks.register(digest.check_settings)

        # Inside the move's transaction: the outbox is written with the move, or not at all.
        signals.public_changed.connect(services.on_public_changed, dispatch_uid="distribution.outbox")
        admin_panels.register(admin.distribution_panel)
        personal_data.register("deliveries", services.export_deliveries, services.erase_deliveries)
