from django.apps import AppConfig
from django.core.signals import setting_changed


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # What hangs from "the public changed" (releases/public.py), in this order.
        from . import caching, public, purge, search

        public.listen(search.on_public_changed)
        public.listen(caching.on_public_changed)
        public.listen(purge.on_public_changed)
        setting_changed.connect(forget_chrome)


def forget_chrome(**kwargs):
    """The chrome kept in each process (``CACHES["local"]``) follows a setting changed (in tests, say)."""
    from django.core.cache import caches

    caches["local"].clear()
