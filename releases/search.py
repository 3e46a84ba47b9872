"""
Full-text search of what the public may see, on the database's own index.

Each model has a search table beside it, ``releases_release_search`` and
``releases_advisory_search``, holding the live edition of each published
document, keyed by the edition's pk:

- SQLite (the default profile): an FTS5 table with the title and the other
  text, tokenised with ``porter unicode61 remove_diacritics 2`` (English
  stemming; "chisinau" finds "Chișinău"), ranked with bm25, the title weighing
  ``SQLITE_TITLE_WEIGHT`` times the rest.
- PostgreSQL: a table of stored ``tsvector``s with a GIN index, built with
  ``SearchVector`` (title weight A, the rest B) in the ``newsroom_search``
  configuration (English stemming, accents folded by ``unaccent``), queried
  and ranked with ``django.contrib.postgres.search``. The vector is stored so
  that ranking reads it instead of parsing every matching document again.

Both are created by migration ``0002_search`` and declared to the ORM as the
unmanaged models ``ReleaseSearchEntry`` and ``AdvisorySearchEntry``, so that a
search is a join. The workflow calls ``index_document`` after every transition
that changes what the public sees (approve, withdraw, receive_import), inside
the transaction, so the index never disagrees with the committed state.

A search only *narrows* a queryset that already went through ``published()``:
a stale index row can never show an unpublished edition, and a scheduled item
becomes findable at its publication time with nothing to run.

User input never reaches a query language as typed: it is reduced to words
(see ``terms``); operators, quotes, brackets and control characters are
dropped, so no query can be a syntax error.
"""
import re
import unicodedata
import warnings

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import DatabaseError, connection, connections, models, transaction
from django.db.models import F, FloatField, Func, Lookup, Value

from .text import plain_text

#: The text of each model that search looks at: (weighted like a title, weighted like a body).
SEARCH_FIELDS = {
    "release": (("title",), ("summary", "body")),
    "advisory": (("title",), ("summary", "body", "venue", "city", "country")),
}
#: Extra weight of the title column in SQLite's bm25 ranking (the other text counts 1).
SQLITE_TITLE_WEIGHT = 10.0
#: The PostgreSQL text search configuration created by the migration.
POSTGRES_CONFIG = "newsroom_search"
#: Longer queries are cut to this many words: enough for any real search, cheap for the index.
MAX_TERMS = 32
#: The reverse name of an edition's search entry.
SEARCH_ENTRY = "search_entry"

WORD_RE = re.compile(r"\w+")


def terms(query):
    """
    The words of a user's query, in order, at most ``MAX_TERMS``.

    ``\\w`` is Unicode-aware, so "Chișinău" is one word; everything that is not
    part of a word (quotes, ``*``, ``-``, ``NEAR(``, brackets, emoji, NUL) is a
    separator. Underscores are separators too, as they are for both indexes.
    """
    query = unicodedata.normalize("NFC", query or "")
    return WORD_RE.findall(query.replace("_", " "))[:MAX_TERMS]


def search(queryset, query):
    """
    ``queryset`` narrowed to the items matching ``query``, annotated with
    ``search_rank`` (higher is better). A query without words leaves the
    queryset as it was, unannotated: there is nothing to search for.

    All words are required; the last one may be the start of a word, so that a
    half-typed query still finds something.
    """
    words = terms(query)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(tsquery(words), config=POSTGRES_CONFIG, search_type="raw")
        vector = f"{SEARCH_ENTRY}__vector"
        return queryset.filter(**{vector: query}).annotate(search_rank=SearchRank(F(vector), query))
    text = f"{SEARCH_ENTRY}__text"
    # One weight per column (edition, title, body); bm25 is smaller for better matches, hence the minus.
    bm25 = Func(
        F(text), Value(0.0), Value(SQLITE_TITLE_WEIGHT), Value(1.0), function="bm25", output_field=FloatField(),
    )
    return queryset.filter(**{f"{text}__match": fts_match(words)}).annotate(search_rank=-bm25)


def fts_match(words):
    """
    The FTS5 query for ``words``: each word quoted as a phrase, so that
    ``NEAR``, ``AND`` or ``OR`` are just words, and the last one a prefix.
    """
    phrases = [f'"{word}"' for word in words]
    phrases[-1] += "*"
    return " ".join(phrases)


def tsquery(words):
    """
    The same query as tsquery text. Each word is quoted; a word holds only
    letters and digits (see ``terms``), so it can neither close its quotes nor
    be an operator: this is a query built from checked words, not user input
    handed to ``to_tsquery``. The configuration then stems and folds them like
    the documents.
    """
    return " & ".join(f"'{word}'" for word in words) + ":*"


# --- the index tables as models --------------------------------------------------------------------

class FullTextColumn(models.TextField):
    """FTS5's hidden column named after its table: the left side of MATCH, and bm25()'s argument."""


@FullTextColumn.register_lookup
class Match(Lookup):
    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class SearchEntry(models.Model):
    """
    One indexed edition. Unmanaged: the tables differ by database (see the
    module docstring and ``create_tables``), and only searches read them.

    On SQLite the join is on ``edition``, an UNINDEXED copy of the rowid:
    FTS5 can't look rows up by it, so SQLite drives the join from the MATCH
    (one scan of the index, ranked as it goes) rather than running one
    full-text query per published edition.
    """

    title = models.TextField()  # SQLite
    body = models.TextField()  # SQLite
    vector = SearchVectorField()  # PostgreSQL

    class Meta:
        abstract = True


class ReleaseSearchEntry(SearchEntry):
    edition = models.OneToOneField(
        "releases.Release", primary_key=True, db_column="edition", db_constraint=False,
        on_delete=models.DO_NOTHING, related_name=SEARCH_ENTRY,
    )
    text = FullTextColumn(db_column="releases_release_search")

    class Meta:
        managed = False
        db_table = "releases_release_search"


class AdvisorySearchEntry(SearchEntry):
    edition = models.OneToOneField(
        "releases.Advisory", primary_key=True, db_column="edition", db_constraint=False,
        on_delete=models.DO_NOTHING, related_name=SEARCH_ENTRY,
    )
    text = FullTextColumn(db_column="releases_advisory_search")

    class Meta:
        managed = False
        db_table = "releases_advisory_search"


# --- keeping the index in step -----------------------------------------------------------------------

def search_table(model):
    return f"{model._meta.db_table}_search"


def index_document(edition):
    """
    Bring the index in line with ``edition``'s document after a workflow
    transition: the rows of all its editions go, and the edition comes back if
    it is now published (scheduled included: ``published()`` hides it until
    its time).
    """
    model = type(edition)
    pks = list(model.objects.filter(document=edition.document).values_list("pk", flat=True))
    # The edition's pk is the rowid on SQLite (FTS5 can't look up its ``edition`` column), the key on PostgreSQL.
    key = "rowid" if connection.vendor == "sqlite" else "edition"
    table = connection.ops.quote_name(search_table(model))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {key} IN ({', '.join(['%s'] * len(pks))})", pks)
    if edition.state == "published":
        _insert(connection, model.objects.filter(pk=edition.pk))


def on_public_changed(edition, **kwargs):
    """Hangs from ``public.changed``: a workflow move re-indexes its document, in its transaction."""
    if edition is not None:
        index_document(edition)


def rebuild_index(models, using=None):
    """
    Empty and refill the search tables from the published editions, for the
    migration and ``manage.py rebuild_search_index``. ``models`` may be
    historical models. Returns the number of editions indexed.
    """
    conn = connections[using or "default"]
    indexed = 0
    for model in models:
        with conn.cursor() as cursor:
            cursor.execute(f"DELETE FROM {conn.ops.quote_name(search_table(model))}")
        indexed += _insert(conn, model.objects.using(conn.alias).filter(state="published"))
    return indexed


def _insert(conn, editions):
    """Index ``editions`` (a queryset of one model); return how many."""
    model = editions.model
    table = conn.ops.quote_name(search_table(model))
    if conn.vendor == "postgresql":
        # The vector is computed by PostgreSQL, from the same expression as ever (``vector_for``).
        rows = editions.order_by().annotate(search_vector=vector_for(model._meta.model_name))
        sql, params = rows.values_list("pk", "search_vector").query.get_compiler(using=conn.alias).as_sql()
        with conn.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (edition, vector) {sql}", params)
            return cursor.rowcount
    rows = [(edition.pk, edition.pk, *_index_text(edition)) for edition in editions.iterator()]
    with conn.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} (rowid, edition, title, body) VALUES (%s, %s, %s, %s)", rows)
    return len(rows)


def _index_text(edition):
    """(title, other text) of an edition as the FTS table stores them: the body's HTML reduced to plain text."""
    title_fields, body_fields = SEARCH_FIELDS[edition._meta.model_name]
    title = " ".join(getattr(edition, name) or "" for name in title_fields)
    body = "\n".join(
        plain_text(getattr(edition, name)) if name == "body" else (getattr(edition, name) or "")
        for name in body_fields
    )
    return title, body


def vector_for(model_name):
    """The weighted document vector of a model on PostgreSQL: the title as A, the rest as B."""
    title_fields, body_fields = SEARCH_FIELDS[model_name]
    return (
        SearchVector(*title_fields, config=POSTGRES_CONFIG, weight="A")
        + SearchVector(*body_fields, config=POSTGRES_CONFIG, weight="B")
    )


# --- creating the tables (migration 0002_search) -----------------------------------------------------

def create_tables(schema_editor, models):
    vendor = schema_editor.connection.vendor
    quote = schema_editor.quote_name
    if vendor == "postgresql":
        create_postgres_config(schema_editor)
    for model in models:
        table = quote(search_table(model))
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5("
                "edition UNINDEXED, title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
            )
        elif vendor == "postgresql":
            # No foreign key: a row left by a deleted edition is never shown (searches join on
            # published editions), and a key would stop tests from truncating the editions.
            schema_editor.execute(f"CREATE TABLE {table} (edition bigint PRIMARY KEY, vector tsvector NOT NULL)")
            schema_editor.execute(f"CREATE INDEX {quote(search_table(model) + '_vector')} ON {table} USING gin (vector)")


def drop_tables(schema_editor, models):
    for model in models:
        schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(search_table(model))}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {schema_editor.quote_name(POSTGRES_CONFIG)}"
        )


def create_postgres_config(schema_editor):
    """
    The text search configuration: English stemming, with accents folded first
    by ``unaccent`` when the server has it (it ships with PostgreSQL's contrib
    package). Without it the configuration is plain English and a warning says
    that accent-insensitive search is off.
    """
    quote = schema_editor.quote_name
    try:
        # A savepoint, so that a refusal (extension not installed, no privilege) leaves the migration usable.
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        has_unaccent = True
    except DatabaseError as error:
        has_unaccent = False
        warnings.warn(f"PostgreSQL extension unaccent unavailable ({error}); search will not fold accents.")
    schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {quote(POSTGRES_CONFIG)} (COPY = english)")
    if has_unaccent:
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {quote(POSTGRES_CONFIG)} "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem"
        )
