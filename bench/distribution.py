"""
Distribution benchmark (not a timed test): an approval that mails 10,000 journalists, and
the sending to a local SMTP sink with one and with two worker processes.

    createdb -h 127.0.0.1 -U postgres newsroom_bench_distribution   # an empty database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_distribution \\
        .venv/bin/python -m bench.distribution --recipients 10000

1. The approving request (POST to the admin's approve transition, as a reviewer, through
   Django's test client: the whole request, the outbox's bulk insert and the commit) for
   lists of 0, 1,000 and 10,000 journalists: p50 and max over ``--rounds`` approvals each, and
   the p50 of the CPU time it took in this process and in its PostgreSQL backend (read from
   /proc/<pid>/schedstat when the server is on this machine): on a shared machine the wall time
   follows the neighbours' load, the CPU time much less.
2. Throughput: one publication to ``--recipients`` addresses, worked by one, then two
   ``manage.py db_worker`` processes, into an aiosmtpd sink on this machine; mails per
   second from the first mail to the last, and duplicates in the sink (must be 0).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.test")


class Sink:
    def __init__(self):
        self.received = []
        self.first = self.last = None

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        for recipient in envelope.rcpt_tos:
            if recipient.endswith("@bench.example"):
                self.first = self.first or now
                self.last = now
                self.received.append(recipient)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--no-sending", action="store_true", help="only the approving request")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    from distribution import services
    from distribution.models import Delivery, Publication
    from django_tasks_db.models import DBTaskResult
    from journalists.models import Journalist, MediaList
    from releases.models import Release
    from releases.roles import setup_roles
    from tests.factories import make_release, make_user

    setup_roles()
    run = uuid.uuid4().hex[:6]
    writer = make_user(f"writer-{run}", group="Writers")
    reviewer = make_user(f"reviewer-{run}", group="Reviewers")
    client = Client()
    client.force_login(reviewer)
    print(f"Database: {connection.vendor}")

    lists = {}
    for size in sorted({0, 1000, args.recipients}):
        Journalist.objects.bulk_create([
            Journalist(name=f"J {n}", outlet="Bench", email=f"j{n}.{size}.{run}@bench.example",
                       basis="professional", basis_date="2023-01-10")
            for n in range(size)
        ], batch_size=5000)
        media_list = MediaList.objects.create(name=f"Bench {size} {run}")
        media_list.journalists.set(Journalist.objects.filter(email__endswith=f".{size}.{run}@bench.example"))
        lists[size] = media_list

    import itertools

    numbers = itertools.count()

    def item(size):
        release = make_release(title=f"Bench {size} {run}", author=writer, body="The ministers met.",
                               slug=f"bench-{run}-{next(numbers)}")
        services.distribution_for(Release, release.document, create=True).media_lists.add(lists[size])
        release.submit(writer)
        return release

    def backend_cpu():
        """CPU seconds of this connection's PostgreSQL backend so far, or None (another machine)."""
        try:
            with open(f"/proc/{connection.connection.info.backend_pid}/schedstat") as stat:
                return int(stat.read().split()[0]) / 1e9
        except (AttributeError, OSError):
            return None

    print("\nApproving request (deliveries written in the same transaction):")
    for size, media_list in lists.items():
        times, cpu, server = [], [], []
        for _ in range(args.rounds):
            release = item(size)
            url = reverse("admin:releases_release_transition", args=[release.pk, "approve"])
            server_start, cpu_start, start = backend_cpu(), time.thread_time(), time.perf_counter()
            response = client.post(url, {"comment": ""})
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - cpu_start) * 1000)
            server_end = backend_cpu()
            if server_start is not None and server_end is not None:
                server.append((server_end - server_start) * 1000)
            assert response.status_code == 302, response.status_code
            publication = Publication.objects.filter(object_id=release.pk, kind="original").first()
            assert (publication.deliveries.count() if publication else 0) == size
        print(f"  {size:>6} recipients: p50 {statistics.median(times):6.1f} ms, max {max(times):6.1f} ms "
              f"({args.rounds} approvals); CPU p50: Python {statistics.median(cpu):5.1f} ms"
              + (f", PostgreSQL {statistics.median(server):5.1f} ms" if server else ""))
    print(f"  load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    if args.no_sending:
        return

    # The latency rounds' mail is not the point: cancel it and empty the queue.
    Delivery.objects.filter(state="queued").update(state="cancelled")
    DBTaskResult.objects.all().delete()

    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    print(f"\nSending {args.recipients} mails to a local SMTP sink (aiosmtpd):")
    for workers in (1, 2):
        sink = Sink()
        port = 20000 + os.getpid() % 10000 + workers
        server = Controller(sink, hostname="127.0.0.1", port=port)
        server.start()
        release = item(args.recipients)
        client.post(reverse("admin:releases_release_transition", args=[release.pk, "approve"]), {"comment": ""})
        env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
        processes = [
            subprocess.Popen([sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
                              "--interval", "0.1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(workers)
        ]
        deadline = time.monotonic() + 600
        while len(sink.received) < args.recipients and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        server.stop()
        duplicates = sum(count - 1 for count in Counter(sink.received).values() if count > 1)
        seconds = (sink.last - sink.first) if sink.first else float("nan")
        rate = len(sink.received) / seconds if seconds else float("nan")
        print(f"  {workers} worker{'s' if workers > 1 else ''}: {len(sink.received)} mails in {seconds:.1f} s, "
              f"{rate:.0f} mails/s ({rate / workers:.0f} per worker), duplicates: {duplicates}")


if __name__ == "__main__":
    main()
