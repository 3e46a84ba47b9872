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
import contextlib
import heapq
import json
import re
import unicodedata
import warnings

from django.contrib.postgres.search import (
    SearchHeadline, SearchQuery, SearchRank, SearchVector, SearchVectorField,
)
from django.core.cache import cache
from django.db import DatabaseError, connection, connections, models, transaction
from django.db.models import Case, F, FloatField, Func, IntegerField, Lookup, TextField, Value, When
from django.db.models.functions import Replace
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import languages
from .text import plain_text

#: The text of each model that search looks at: (weighted like a title, weighted like a body).
SEARCH_FIELDS = {
    "release": (("title",), ("summary", "body")),
    "advisory": (("title",), ("summary", "body", "venue", "city", "country")),
}
#: Extra weight of the title column in SQLite's bm25 ranking (the other text counts 1).
SQLITE_TITLE_WEIGHT = 10.0
#: The PostgreSQL text search configuration created by the migration (English: the default and the fallback).
POSTGRES_CONFIG = "newsroom_search"
#: The configuration of each language with a stemmer of its own (migration 0013 adds French's).
POSTGRES_CONFIGS = {"en": POSTGRES_CONFIG, "fr": "newsroom_search_fr"}
#: Longer queries are cut to this many words: enough for any real search, cheap for the index.
MAX_TERMS = 32
#: The reverse name of an edition's search entry.
SEARCH_ENTRY = "search_entry"

WORD_RE = re.compile(r"\w+")
#: What the database puts around a matched word (private-use characters, stripped from indexed text):
#: the highlight is built in Python from these, every other character escaped (``marked``).
MARK_START, MARK_STOP = "\ue000", "\ue001"
MARKS_RE = re.compile(f"([{MARK_START}{MARK_STOP}])")
#: PostgreSQL's parser reads "<…>" in a text as a tag, and ``ts_headline`` then drops it and can miss the
#: matches after it: angle brackets go through it as these two characters and are put back in ``marked``.
ANGLES = {"<": "\ue002", ">": "\ue003"}
PRIVATE_RE = re.compile("[\ue000-\ue003]")
#: About how many words of the text around the matches a result shows.
SNIPPET_WORDS = 30
#: On PostgreSQL a search ranks at most this many matches of each kind: the newest ones (see
#: ``newest_matches``). Measured at a million items (docs/scale.md): 2,000 cost ~480 ms a kind,
#: 200 about 60 ms, the newest rows' pages staying in memory from one search to the next.
RANKED_MATCHES = 200
#: A count of the matches stops here: "more than 200 results" costs no more than 200, and no
#: more results than that of a kind are listed anyway.
COUNT_LIMIT = RANKED_MATCHES
#: How the newest matches of a kind are found on PostgreSQL (``newest_keys``), measured at a million
#: items (docs/scale.md, "third pass"). A common word (one item in 18) has its 200 newest matches
#: among the newest 4,000 editions: walking them newest first, checking each vector, costs
#: ~3 µs an edition, so the walk is taken where the planner expects them within ``SEARCH_WALK``.
#: A rarer word (one in 53) would need a walk of 11,000: its matches among the newest
#: ``SEARCH_WINDOWS`` editions come from the GIN index intersected with that range of editions
#: (~15 ms for 60,000, where a walk of them costs 60 ms). The walk and the windows decide only how
#: fast the matches come, never which: see ``newest_keys``.
SEARCH_WALK = 10_000
SEARCH_WINDOWS = (60_000, 600_000)
#: PostgreSQL's planner, left to itself, walks a window checking every vector even where the GIN index
#: would give its matches for a fraction of that, and starts parallel workers (~10 ms) for queries of a
#: few ms: these settings hold for the queries of ``newest_keys`` only (``planner``).
SEARCH_PLANS = {
    "walk": {"enable_bitmapscan": "off", "max_parallel_workers_per_gather": "0"},
    "bitmap": {"enable_indexscan": "off", "max_parallel_workers_per_gather": "0"},
    # The editions older than a window published since its oldest match: a range of the public index.
    "late": {"enable_bitmapscan": "off", "max_parallel_workers_per_gather": "0"},
    # Whether anything matches (``found``): the GIN index's bitmap, not a scan that expects a match soon.
    "found": {"enable_indexscan": "off", "enable_seqscan": "off", "max_parallel_workers_per_gather": "0"},
}


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
    queryset = queryset.annotate(search_language_first=visitor_language_first())
    if connection.vendor == "postgresql":
        query = postgres_query(words)
        vector = f"{SEARCH_ENTRY}__vector"
        return queryset.filter(**{vector: query}).annotate(search_rank=SearchRank(F(vector), query))
    text = f"{SEARCH_ENTRY}__text"
    # One weight per column (edition, title, body); bm25 is smaller for better matches, hence the minus.
    bm25 = Func(
        F(text), Value(0.0), Value(SQLITE_TITLE_WEIGHT), Value(1.0), function="bm25", output_field=FloatField(),
    )
    return queryset.filter(**{f"{text}__match": fts_match(words)}).annotate(search_rank=-bm25)


def newest_matches(queryset):
    """
    ``queryset`` (narrowed by ``search``, and by every other filter) cut to its
    newest ``RANKED_MATCHES`` matches on PostgreSQL, so that ranking reads that
    many stored vectors however common the words are: at a million items a word
    like "defence" matches some 45,000, and ranking them all read ~480 MB of
    vectors. What is found is the same up to that many matches of a kind;
    beyond it, an older match is left out even where it would rank higher.
    Only published items can be among them: the cut is taken from ``queryset``
    itself. SQLite's FTS5 ranks while it scans its index, and is left as it is.

    Returns the cut and how many items ``queryset`` holds, counted up to
    ``COUNT_LIMIT`` + 1 in the same look-up (None on SQLite: ``count`` it).
    """
    if connection.vendor != "postgresql":
        return queryset, None
    keys = newest_keys(queryset, max(RANKED_MATCHES, COUNT_LIMIT) + 1)
    return queryset.filter(pk__in=keys[:RANKED_MATCHES]), len(keys)


def newest_keys(queryset, wanted):
    """
    The pks of ``queryset``'s newest ``wanted`` items (by publication, then pk), on PostgreSQL.

    Walking the newest published items and checking each one's vector costs one
    probe per item walked: ~100 for each match of a rare word at a million items.
    So the matches are looked for among the newest editions first, in a window
    of the search table's primary key: walked newest first where the planner
    expects the word to be common (``SEARCH_WALK``), else from the GIN index
    (``SEARCH_WINDOWS``). An edition's pk is not its publication order (one
    approved long ago may be published later), so the items below the window
    published since its oldest match are added (``late``, a short range of the
    public ``published_at`` index): the result is exactly the newest ``wanted``,
    however the window was chosen. When no window holds enough matches, the
    whole archive is searched as before.
    """
    if queryset.query.is_empty():  # another kind than the one asked for (``none()``)
        return []
    newest_first = queryset.order_by("-published_at", "-pk").values_list("published_at", "pk")
    entries = queryset.model._meta.get_field(SEARCH_ENTRY).related_model.objects
    bounds = entries.aggregate(newest=models.Max("pk"), oldest=models.Min("pk"))
    if bounds["newest"] is None:
        return []
    span = bounds["newest"] - bounds["oldest"] + 1
    window = None
    if span > SEARCH_WALK and wanted * span <= SEARCH_WALK * estimated_count(queryset):
        with planner(queryset.db, SEARCH_PLANS["walk"]):
            walked = list(
                newest_first.filter(**{f"{SEARCH_ENTRY}__pk__gt": bounds["newest"] - SEARCH_WALK})
                .order_by("-pk")[:wanted]
            )
        if len(walked) == wanted:  # every match from the lowest pk walked up
            window = sorted(walked, reverse=True), walked[-1][1]
    for size in SEARCH_WINDOWS if window is None else ():
        if size >= span:
            break
        edge = bounds["newest"] - size + 1
        with planner(queryset.db, SEARCH_PLANS["bitmap"]):
            inside = list(newest_first.filter(**{f"{SEARCH_ENTRY}__pk__gte": edge})[:wanted])
        if len(inside) == wanted:
            window = inside, edge
            break
    if window is None:
        return [pk for _, pk in newest_first[:wanted]]
    inside, edge = window
    with planner(queryset.db, SEARCH_PLANS["late"]):
        late = list(newest_first.filter(pk__lt=edge, published_at__gte=inside[-1][0])[:wanted])
    return [pk for _, pk in heapq.merge(inside, late, reverse=True)][:wanted]


def estimated_count(queryset):
    """How many items the planner expects ``queryset`` to hold: a plan, no rows read."""
    return json.loads(queryset.order_by().values("pk").explain(format="json"))[0]["Plan"]["Plan Rows"]


@contextlib.contextmanager
def planner(using, settings):
    """PostgreSQL's planner ``settings`` for the queries run inside, as they were afterwards."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        names = list(settings)
        cursor.execute(
            "SELECT " + ", ".join("current_setting(%s), set_config(%s, %s, true)" for _ in names),
            [value for name in names for value in (name, name, settings[name])],
        )
        previous = cursor.fetchone()[::2]
        yield
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
            [value for name, old in zip(names, previous) for value in (name, old)],
        )


def visitor_language():
    """The visitor's newsroom language: the page's, decided by its address (``languages.active``)."""
    return languages.active()


def visitor_language_first():
    """1 for an item in the visitor's language, 0 otherwise: results sort on it before relevance."""
    if not languages.multilingual():
        return Value(0, output_field=IntegerField())
    return Case(When(language=visitor_language(), then=Value(1)), default=Value(0), output_field=IntegerField())


def postgres_configs():
    """The configurations the configured languages are indexed with, each once."""
    return list(dict.fromkeys(POSTGRES_CONFIGS.get(code, POSTGRES_CONFIG) for code in languages.codes()))


def postgres_query(words):
    """
    ``words`` parsed by each language's configuration, OR-ed: every item is
    indexed with its own language's stemmer, so "coopérations" must be stemmed
    the French way to find a French item and the English way to find an English
    one. One constant query, so the GIN index serves it.
    """
    queries = [SearchQuery(tsquery(words), config=config, search_type="raw") for config in postgres_configs()]
    query = queries[0]
    for other in queries[1:]:
        query = query | other
    return query


def row_config(model):
    """The configuration of each row's language (a historical model before languages has English)."""
    if not any(field.name == "language" for field in model._meta.fields):
        return Value(POSTGRES_CONFIG)
    return Case(
        *(When(language=code, then=Value(config)) for code, config in POSTGRES_CONFIGS.items() if config != POSTGRES_CONFIG),
        default=Value(POSTGRES_CONFIG), output_field=TextField(),
    )


def highlight(queryset, words):
    """
    ``queryset`` (already narrowed by ``search``) annotated with ``search_title``
    and ``search_snippet``: the title and a passage of the other text around the
    matches, each matched word between ``MARK_START`` and ``MARK_STOP``.

    The database computes them for the rows fetched, so apply this to a page's
    rows only (``views.BestMatchFirst`` does, in the query that fetches them):
    highlighting every match would cost a pass over each matching document.
    """
    if connection.vendor == "postgresql":
        query = postgres_query(words)
        options = {"config": row_config(queryset.model), "start_sel": MARK_START, "stop_sel": MARK_STOP}
        _, body_fields = SEARCH_FIELDS[queryset.model._meta.model_name]
        text = Func(Value(" "), *(_plain(name) for name in body_fields), function="concat_ws", output_field=TextField())
        return queryset.annotate(
            search_title=SearchHeadline(_without_angles(F("title")), query, highlight_all=True, **options),
            search_snippet=SearchHeadline(
                _without_angles(text), query, max_words=SNIPPET_WORDS, min_words=SNIPPET_WORDS // 2, max_fragments=2,
                fragment_delimiter=" … ", **options,
            ),
        )
    table = F(f"{SEARCH_ENTRY}__text")
    marks = (Value(MARK_START), Value(MARK_STOP))
    # Columns of the FTS table: 0 edition, 1 title, 2 the other text.
    return queryset.annotate(
        search_title=Func(table, Value(1), *marks, function="highlight", output_field=TextField()),
        search_snippet=Func(
            table, Value(2), *marks, Value("…"), Value(SNIPPET_WORDS), function="snippet", output_field=TextField(),
        ),
    )


def _plain(name):
    """A field as plain text in SQL, as ``_index_text`` gives it to SQLite: the body's tags and entities removed."""
    if name != "body":
        return F(name)
    text = Func(F(name), Value("<[^>]*>"), Value(" "), Value("g"), function="regexp_replace", output_field=TextField())
    # The sanitiser (nh3) writes only these entities in text; "&amp;" last, so "&amp;lt;" stays "&lt;".
    for entity, character in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = Replace(text, Value(entity), Value(character))
    return text


def _without_angles(text):
    for character, stand_in in ANGLES.items():
        text = Replace(text, Value(character), Value(stand_in))
    return text


def marked(text):
    """
    Highlighted text from the database as safe HTML: every character escaped,
    the words between the marks in ``<mark>``. The marks are only toggles, so
    however they fall the tags come out balanced.
    """
    html, inside = [], False
    for piece in MARKS_RE.split(text or ""):
        if piece in (MARK_START, MARK_STOP):
            if (piece == MARK_START) != inside:
                html.append("</mark>" if inside else "<mark>")
                inside = not inside
        elif piece:
            for character, stand_in in ANGLES.items():
                piece = piece.replace(stand_in, character)
            html.append(escape(piece))
    if inside:
        html.append("</mark>")
    return mark_safe("".join(html))


def has_marks(text):
    return MARK_START in (text or "")


def found(queryset):
    """
    Whether ``queryset`` (narrowed by ``search``) holds anything. On PostgreSQL it is asked of the
    GIN index (``SEARCH_PLANS["found"]``): left to itself, the planner answers EXISTS by reading the
    vectors one by one until one matches, which for a word nobody wrote is every vector (1.8 s at a
    million items, for every search that finds nothing and so asks for suggestions).
    """
    if connection.vendor != "postgresql" or queryset.query.is_empty():
        return queryset.exists()
    with planner(queryset.db, SEARCH_PLANS["found"]):
        return queryset.exists()


def count(queryset):
    """How many items ``queryset`` holds, counted only up to ``COUNT_LIMIT`` + 1."""
    return queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()


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
        rows = editions.order_by().annotate(search_vector=vector_for(model._meta.model_name, row_config(model)))
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
    return tuple(PRIVATE_RE.sub("", text) for text in (title, body))


def vector_for(model_name, config=POSTGRES_CONFIG):
    """The weighted document vector of a model on PostgreSQL: the title as A, the rest as B, in ``config``."""
    title_fields, body_fields = SEARCH_FIELDS[model_name]
    return (
        SearchVector(*title_fields, config=config, weight="A")
        + SearchVector(*body_fields, config=config, weight="B")
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


def create_postgres_config(schema_editor, name=POSTGRES_CONFIG, stemmer="english"):
    """
    A text search configuration: ``stemmer``'s stemming (English for the first,
    French for migration 0013's), with accents folded first by ``unaccent`` when
    the server has it (it ships with PostgreSQL's contrib package). Without it the
    configuration is the plain language's and a warning says that
    accent-insensitive search is off.
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
    schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {quote(name)} (COPY = {stemmer})")
    if has_unaccent:
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {quote(name)} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {stemmer}_stem"
        )


# --- suggestions when a search finds nothing ---------------------------------------------------------

#: Spelling is suggested for queries of at most this many words: each unknown word costs a few queries.
SPELLING_MAX_WORDS = 4
#: On PostgreSQL the vocabulary is that of the newest this many indexed editions per model:
#: ``ts_stat`` reads every vector it is given, so the cost is bounded here, not by the archive.
VOCABULARY_DOCUMENTS = 10_000
#: How long a slice of the vocabulary is kept (``vocabulary``): ``ts_stat`` over the newest
#: ``VOCABULARY_DOCUMENTS`` vectors costs ~135 ms a kind at a million items, for each search that
#: finds nothing. A kept slice only proposes words, each then checked against what is published
#: (``surface_word``, and the caller's check that the respelled query finds something), so a word
#: published in the meantime is proposed up to this late, and nothing unpublished ever shows.
VOCABULARY_SECONDS = 600


def fold(word):
    """A word as both indexes store it before stemming: lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def edit_distance(a, b):
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def vocabulary(model, first, shortest, longest):
    """
    The terms of ``model``'s index that start with the letter ``first`` and are
    ``shortest`` to ``longest`` characters long, with the number of documents
    holding each. Terms are stems ("defenc"), never shown as
    they are: the index also holds scheduled editions, so a term is only a lead
    that ``surface_word`` checks against what is published.
    """
    key = f"search:vocabulary:{connection.vendor}:{model._meta.label_lower}:{ord(first)}:{shortest}:{longest}"
    words = cache.get(key)
    if words is None:
        words = _read_vocabulary(model, first, shortest, longest)
        cache.set(key, words, VOCABULARY_SECONDS)
    return words


def _read_vocabulary(model, first, shortest, longest):
    table = connection.ops.quote_name(search_table(model))
    bounds = [first, chr(ord(first) + 1), shortest, longest]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            documents = f"SELECT vector FROM {table} ORDER BY edition DESC LIMIT {VOCABULARY_DOCUMENTS}"
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat(%s) WHERE word >= %s AND word < %s AND length(word) BETWEEN %s AND %s",
                [documents, *bounds],
            )
        else:
            # fts5vocab reads the index's own term list; a temporary table is made once per connection.
            vocab = connection.ops.quote_name(f"{search_table(model)}_vocab")
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab} USING fts5vocab(main, {table}, 'row')")
            cursor.execute(
                f"SELECT term, doc FROM temp.{vocab} WHERE term >= %s AND term < %s AND length(term) BETWEEN %s AND %s",
                bounds,
            )
        return cursor.fetchall()


def surface_word(querysets, term):
    """
    A word as written in a published item that ``term`` finds (the first one its
    best match among the newest matches highlights, ``newest_matches``: ranking every
    match of a common word read each one's vector), or None when no published item has it.
    """
    for queryset in querysets:
        matches, _ = newest_matches(search(queryset, term))
        row = (
            highlight(matches, [term]).order_by("-search_rank")
            .values_list("search_title", "search_snippet").first()
        )
        for text in row or ():
            pieces = MARKS_RE.split(text or "")
            if MARK_START in pieces:
                word = pieces[pieces.index(MARK_START) + 1]
                if terms(word):
                    return terms(word)[0]
    return None


def spelling(querysets, words):
    """
    Another spelling of ``words`` made of words published items contain, or
    None: each word that finds nothing on its own is replaced by the nearest
    term of the index (at most one edit in a short word, two in a longer one)
    that a published item holds. ``querysets`` are the published items of each
    model; the caller checks that the whole new query finds something.
    """
    if len(words) > SPELLING_MAX_WORDS:
        return None
    corrected = []
    for word in words:
        if any(found(search(queryset, word)) for queryset in querysets):
            corrected.append(word)
            continue
        replacement = nearest(querysets, word)
        if replacement is None:
            return None
        corrected.append(replacement)
    return corrected if corrected != list(words) else None


def nearest(querysets, word, tries=3):
    folded = fold(word)
    allowed = 1 if len(folded) <= 4 else 2
    candidates = {}
    for queryset in querysets:
        for term, documents in vocabulary(queryset.model, folded[0], len(folded) - allowed, len(folded) + allowed):
            if term != folded:
                distance = edit_distance(folded, term)
                if distance <= allowed:
                    candidates[term] = min(candidates.get(term, (distance, 0)), (distance, -documents))
    for term in sorted(candidates, key=candidates.get)[:tries]:
        if surface := surface_word(querysets, term):
            return surface
    return None
