"""
The newsroom side of the real-worker tests (test_real_worker.py) and of bench/distribution.py,
run as its own process: ``python -m tests.distribution.scenario setup N | approve | again``.
"""
import sys

import django


def setup(count):
    """The roles, a writer and a reviewer, COUNT journalists on one media list, a release that goes to it."""
    from distribution import services
    from journalists.models import Journalist, MediaList
    from releases.models import Release
    from releases.roles import setup_roles
    from tests.factories import make_release, make_user

    setup_roles()
    writer = make_user("writer", group="Writers", email="writer@newsroom.example")
    make_user("reviewer", group="Reviewers", email="reviewer@newsroom.example")
    Journalist.objects.bulk_create([
        Journalist(name=f"Journalist {n}", outlet="Outlet", email=f"j{n}@press.example", basis="professional",
                   basis_date="2023-01-10")
        for n in range(count)
    ], batch_size=2000)
    media_list = MediaList.objects.create(name="Everyone")
    media_list.journalists.set(Journalist.objects.all())
    release = make_release(title="Summit in Chișinău", author=writer, body="The ministers met.")
    services.distribution_for(Release, release.document, create=True).media_lists.add(media_list)
    release.submit(writer)


def approve():
    from django.contrib.auth import get_user_model

    from releases.models import Release

    Release.objects.get().approve(get_user_model().objects.get(username="reviewer"))


def again():
    """The publication's task enqueued three more times, as retries or duplicates would: workers race for rows."""
    from distribution.models import Publication
    from distribution.tasks import send_publication

    for _ in range(3):
        send_publication.enqueue(Publication.objects.get().pk)


def waiting():
    from django.core.management import call_command

    call_command("send_distribution")


if __name__ == "__main__":
    django.setup()
    command, *args = sys.argv[1:]
    {"setup": lambda: setup(int(args[0])), "approve": approve, "again": again, "waiting": waiting}[command]()
