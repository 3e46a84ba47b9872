"""
A leaner stored vector on PostgreSQL (``search.vector_for``): the title as A,
the summary (and an advisory's venue and place) as B, and only the body's first
``search.VECTOR_BODY_CHARACTERS`` as C, instead of the title as A and all the
rest as B. At a million items the search tables shrink from ~2 GB (most of it
TOAST) to a fraction of that, and a search reads one small vector per row it
checks (docs/scale.md, "Search and calendars at a million items").

PostgreSQL only: the vectors are recomputed, the GIN index dropped during the
refill and built once after it (faster than updating it row by row). SQLite's
FTS5 tables keep the whole text and are left alone. On an empty database this is
two empty statements per model. Going back leaves the lean vectors in place:
they answer the old code's queries as well.
"""
from django.db import migrations

from releases import search

MODEL_NAMES = ("Release", "Advisory")


def rebuild_lean(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name in MODEL_NAMES:
        model = apps.get_model("releases", name)
        table = search.search_table(model)
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(table + '_vector')}")
        schema_editor.execute(f"TRUNCATE {quote(table)}")
        search.rebuild_index([model], using=schema_editor.connection.alias)
        schema_editor.execute(f"CREATE INDEX {quote(table + '_vector')} ON {quote(table)} USING gin (vector)")
        schema_editor.execute(f"ANALYZE {quote(table)}")


class Migration(migrations.Migration):

    dependencies = [
        ("releases", "0013_translations"),
    ]

    operations = [
        migrations.RunPython(rebuild_lean, migrations.RunPython.noop),
    ]
