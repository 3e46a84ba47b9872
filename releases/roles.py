"""
The newsroom's roles as Django groups.

Writers draft and submit; Reviewers also approve, publish and withdraw (never
their own last edit: the workflow checks that); the Press office manages
sources and contacts. Run ``manage.py setup_roles`` after migrating: it only
ever makes the groups match this table.
"""
from django.contrib.auth.management import create_permissions
from django.apps import apps
from django.contrib.auth.models import Group, Permission

WRITING = [
    "view_release", "add_release", "change_release", "delete_release",
    "view_advisory", "add_advisory", "change_advisory", "delete_advisory",
    "view_programmeentry", "add_programmeentry", "change_programmeentry", "delete_programmeentry",
    "view_picture", "add_picture", "change_picture", "delete_picture",
    "view_source", "view_contact",
]

ROLES = {
    "Writers": WRITING,
    "Reviewers": WRITING + ["publish_release", "publish_advisory"],
    "Press office": [
        "view_source", "add_source", "change_source", "delete_source",
        "view_contact", "add_contact", "change_contact", "delete_contact",
        "view_release", "view_advisory", "view_programmeentry",
        # Sources' logos.
        "view_picture", "add_picture", "change_picture", "delete_picture",
    ],
}


def setup_roles():
    """Make each group hold exactly its permissions. Returns (group, permission count) pairs."""
    # Permissions are normally created after migrate; make sure they exist when called right after it.
    create_permissions(apps.get_app_config("releases"), verbosity=0)
    result = []
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="releases", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise LookupError(f"Unknown permissions for {name}: {', '.join(sorted(missing))}")
        group.permissions.set(permissions)
        result.append((group, len(codenames)))
    return result
