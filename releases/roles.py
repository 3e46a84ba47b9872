"""
The newsroom's roles as Django groups.

Writers draft and submit; Reviewers also approve, publish and withdraw (never
their own last edit: the workflow checks that); the Press office manages
sources, contacts and the list of topics. Run ``manage.py setup_roles`` after migrating: it only
ever makes the groups match this table.
"""
from django.contrib.auth.management import create_permissions
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

WRITING = [
    "view_release", "add_release", "change_release", "delete_release",
    "view_advisory", "add_advisory", "change_advisory", "delete_advisory",
    "view_programmeentry", "add_programmeentry", "change_programmeentry", "delete_programmeentry",
    "view_picture", "add_picture", "change_picture", "delete_picture",
    "view_document", "add_document", "change_document", "delete_document",
    "view_source", "view_contact",
    # Topics: writers pick from the list, the press office curates it.
    "view_topic",
    # Recurring advisories' starting points (never public: see AdvisoryTemplate).
    "view_advisorytemplate", "add_advisorytemplate", "change_advisorytemplate", "delete_advisorytemplate",
    # Writers and reviewers choose media lists (names, criteria, sizes), never read the directory.
    "journalists.view_medialist",
]

ROLES = {
    "Writers": WRITING,
    "Reviewers": WRITING + ["publish_release", "publish_advisory", "distribution.send_prebrief"],
    "Press office": [
        "view_source", "add_source", "change_source", "delete_source",
        "view_contact", "add_contact", "change_contact", "delete_contact",
        "view_topic", "add_topic", "change_topic", "delete_topic",
        "view_release", "view_advisory", "view_programmeentry", "view_document",
        # Sources' logos.
        "view_picture", "add_picture", "change_picture", "delete_picture",
        # The media directory: journalists' personal data and the lists built from it.
        "journalists.view_journalist", "journalists.add_journalist",
        "journalists.change_journalist", "journalists.delete_journalist",
        "journalists.view_medialist", "journalists.add_medialist",
        "journalists.change_medialist", "journalists.delete_medialist",
        # Public subscribers (personal data): seen, corrected, removed; only their owners subscribe them.
        "subscriptions.view_subscriber", "subscriptions.change_subscriber", "subscriptions.delete_subscriber",
        "subscriptions.view_subscription", "subscriptions.change_subscription", "subscriptions.delete_subscription",
        "subscriptions.view_suppression", "subscriptions.add_suppression",
        "subscriptions.change_suppression", "subscriptions.delete_suppression",
        # Who was mailed what (Admin › Distribution › Deliveries): read only.
        "distribution.view_delivery",
    ],
}


def setup_roles():
    """Make each group hold exactly its permissions. Returns (group, permission count) pairs."""
    # Permissions are normally created after migrate; make sure they exist when called right after it.
    # A bare codename is the releases app's; another app's is written "app_label.codename".
    labelled_roles = {
        name: [codename if "." in codename else f"releases.{codename}" for codename in codenames]
        for name, codenames in ROLES.items()
    }
    for app_label in sorted({permission.split(".")[0] for labelled in labelled_roles.values() for permission in labelled}):
        create_permissions(apps.get_app_config(app_label), verbosity=0)
    result = []
    for name, labelled in labelled_roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Q(pk__in=[])
        for permission in labelled:
            app_label, codename = permission.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        permissions = Permission.objects.filter(wanted)
        found = {f"{app_label}.{codename}" for app_label, codename in permissions.values_list("content_type__app_label", "codename")}
        missing = set(labelled) - found
        if missing:
            raise LookupError(f"Unknown permissions for {name}: {', '.join(sorted(missing))}")
        group.permissions.set(permissions)
        result.append((group, len(labelled)))
    return result
