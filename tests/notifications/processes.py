"""
Processes for the notification tests: an SMTP server on this machine (aiosmtpd), a database
that worker processes share with the test, and running ``manage.py`` or the scenario.
"""
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """What the SMTP server accepted: (recipient, subject) pairs."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient, str(message["Subject"]).strip()))  # Django folds after "Subject:"
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url, smtp_port=None, tasks_backend="database"):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.test",
        "DATABASE_URL": database_url,
        "TASKS_BACKEND": tasks_backend,
        "PYTHONPATH": str(ROOT),
    }
    if smtp_port:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    return env


def run(args, database_url, smtp_port=None, tasks_backend="database"):
    """Run ``python ARGS`` in the project with this database (and mail server, and queue); fail on error."""
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment(database_url, smtp_port, tasks_backend),
        capture_output=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()


def start(args, database_url, smtp_port=None, tasks_backend="database"):
    """Start ``python ARGS`` as a long-running process (a worker); stop it with ``stop``."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=environment(database_url, smtp_port, tasks_backend),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    process.log = log
    return process


def stop(processes):
    """Stop the workers as a service manager would (SIGTERM); return what each printed, for failure messages."""
    for process in processes:
        process.terminate()
    output = []
    for process in processes:
        process.wait(timeout=30)
        process.log.seek(0)
        output.append(process.log.read().decode(errors="replace"))
        process.log.close()
    for process in processes:
        # And whatever each started (RQ's scheduler is a child process): its own session, by its id.
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return output


def wait_for(inbox, count, seconds=60):
    deadline = time.monotonic() + seconds
    while len(inbox.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)


