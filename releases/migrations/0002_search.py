"""
The full-text search index (see ``releases/search.py``): one search table per
model, filled from the editions already published. SQLite: FTS5 tables.
PostgreSQL: tables of tsvectors with a GIN index, and the ``newsroom_search``
text search configuration (with ``unaccent`` when the server has it). Other
vendors get nothing. The tables are declared to the ORM as unmanaged models
(``search.SearchEntry``), which changes no database.
"""
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

import releases.search
from releases import search

MODEL_NAMES = ("Release", "Advisory")


def create_index(apps, schema_editor):
    publishable = [apps.get_model("releases", name) for name in MODEL_NAMES]
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        search.create_tables(schema_editor, publishable)
        search.rebuild_index(publishable, using=schema_editor.connection.alias)


def drop_index(apps, schema_editor):
    publishable = [apps.get_model("releases", name) for name in MODEL_NAMES]
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        search.drop_tables(schema_editor, publishable)


class Migration(migrations.Migration):

    dependencies = [
        ("releases", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
        # The search tables as unmanaged models, so that the ORM can join them (no database change).
        migrations.CreateModel(
            name="ReleaseSearchEntry",
            fields=[
                ("title", models.TextField()),
                ("body", models.TextField()),
                ("vector", django.contrib.postgres.search.SearchVectorField()),
                ("edition", models.OneToOneField(
                    db_column="edition", db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING,
                    primary_key=True, related_name="search_entry", serialize=False, to="releases.release",
                )),
                ("text", releases.search.FullTextColumn(db_column="releases_release_search")),
            ],
            options={"db_table": "releases_release_search", "managed": False},
        ),
        migrations.CreateModel(
            name="AdvisorySearchEntry",
            fields=[
                ("title", models.TextField()),
                ("body", models.TextField()),
                ("vector", django.contrib.postgres.search.SearchVectorField()),
                ("edition", models.OneToOneField(
                    db_column="edition", db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING,
                    primary_key=True, related_name="search_entry", serialize=False, to="releases.advisory",
                )),
                ("text", releases.search.FullTextColumn(db_column="releases_advisory_search")),
            ],
            options={"db_table": "releases_advisory_search", "managed": False},
        ),
    ]
