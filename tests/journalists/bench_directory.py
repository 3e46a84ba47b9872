"""
Not a test (the name keeps it out of the suite): the media directory's figures at 10,000 journalists.

    .venv/bin/python -m pytest tests/journalists/bench_directory.py -q -s
"""
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from journalists import csv_io
from journalists.models import Journalist
from tests.factories import make_source, make_user

from .factories import make_list

ROWS = 10_000


def test_directory_figures():
    """Prints parse, write, re-check, export and members() times for a 10,000-row file."""
    nato = make_source("NATO")
    make_source("Europol")
    content = ("name,outlet,email,languages,sources,kinds,basis,basis_date,notes\n" + "".join(
        f"Journalist Novák {n},Outlet {n},j{n}@example.org,en;fr,NATO;Europol,both,consent,2023-03-01,Note {n}\n"
        for n in range(ROWS)
    )).encode()
    started = time.perf_counter()
    preview = csv_io.parse_journalists(content)
    parsed = time.perf_counter()
    assert preview.ok and len(preview.new) == ROWS
    with CaptureQueriesContext(connection) as queries:
        csv_io.write_journalists(preview, user=make_user())
    written = time.perf_counter()
    assert len(csv_io.parse_journalists(content).unchanged) == ROWS
    rechecked = time.perf_counter()
    exported = "".join(csv_io.export_journalists(Journalist.objects.all()))
    export_done = time.perf_counter()
    media_list = make_list(sources=[nato], languages=["en"])
    counting = time.perf_counter()
    members = media_list.members().count()
    counted = time.perf_counter()
    assert members == ROWS
    print(
        f"\n{connection.vendor}, {ROWS:,} rows: preview {parsed - started:.2f} s; write {written - parsed:.2f} s "
        f"({len(queries)} queries); preview of the same file once imported {rechecked - written:.2f} s; "
        f"export {export_done - rechecked:.2f} s ({len(exported.encode()) // 1024} KiB); "
        f"criteria list members().count() {1000 * (counted - counting):.0f} ms"
    )
