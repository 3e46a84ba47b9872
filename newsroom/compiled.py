"""
A queryset's SQL compiled once per database connection, then run again with new values.

Django builds and compiles a queryset afresh on every evaluation. For a detail page's one query
(the edition public now with this slug, and its source) that is most of what the ORM spends: about
780 µs of CPU against 170 µs for running the same SQL and building the same instances
(docs/scale.md, sixth pass), while only the values change between requests (the time, the
slug), never the SQL.

``CompiledQuery(build, now=datetime, slug=str)`` calls ``build`` with stand-in values, compiles the
queryset it returns, and finds where each stand-in lands among the query's parameters. Each later
call runs that SQL with the real values in those places and builds the model instances as Django's
``ModelIterable`` does (``from_db``, the ``select_related`` populators, the backend's converters).
What the query means is still written once, in ``build`` (for the public pages,
``PublishableQuerySet``): this keeps only its compilation.

It refuses (``ImproperlyConfigured``, at the first use) any query it could run wrongly: one whose
SQL or other parameters differ between two compilations with different stand-ins (a value written
into the SQL, or changing its shape), one in which a stand-in is transformed on its way to the
database (``icontains`` sends ``%value%``) or missing, and one with annotations or extra columns,
which it does not build.
"""
import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models.query import get_related_populators

_FIRST_DAY = datetime.datetime(1901, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)


def _stand_in(kind, slot, round_):
    """A value of ``kind`` that no real query carries, different for each slot and each round."""
    if kind is datetime.datetime:
        return _FIRST_DAY + datetime.timedelta(days=slot, microseconds=round_)
    if kind is str:
        # With the characters a LIKE lookup escapes: a lookup that changes the value is seen and refused.
        return f"\x1fstand-in_{slot}%{round_}\\\x1f"
    raise ImproperlyConfigured(f"CompiledQuery takes datetime and str values, not {kind.__name__}.")


def _adapt(connection, value):
    """A value as the ORM sends it to this database (SQLite takes a datetime as UTC text)."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


class _Plan:
    """The SQL of one query on one connection, where its values go, and how its rows become instances."""

    def __init__(self, sql, params, slots, compiler):
        self.sql, self.params, self.slots = sql, params, slots
        self.compiler = compiler
        self.converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in compiler.select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, compiler.select, compiler.using)


class CompiledQuery:
    def __init__(self, build, **slots):
        """``build(**values)`` returns the queryset; ``slots`` names each value and its type."""
        self.build, self.slots = build, slots
        self._alias = self._model = None

    def _stand_ins(self, round_):
        return {name: _stand_in(kind, slot, round_) for slot, (name, kind) in enumerate(self.slots.items())}

    def _compile(self, connection):
        rounds = []
        for round_ in (1, 2):
            values = self._stand_ins(round_)
            queryset = self.build(**values)
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            adapted = {name: _adapt(connection, value) for name, value in values.items()}
            places = tuple(next((name for name, value in adapted.items() if param == value), None) for param in params)
            rounds.append((sql, params, places, compiler))
        (sql, params, places, compiler), (sql_2, params_2, places_2, _) = rounds
        fixed = [(one, two) for one, two, place in zip(params, params_2, places) if place is None]
        if (
            sql != sql_2 or places != places_2 or set(places) - {None} != set(self.slots)
            or any(one != two for one, two in fixed)
        ):
            raise ImproperlyConfigured(
                f"CompiledQuery: the query built by {self.build!r} does not take each of "
                f"{', '.join(self.slots)} as a plain parameter of the same SQL."
            )
        if compiler.klass_info is None or compiler.annotation_col_map or compiler.has_extra_select:
            raise ImproperlyConfigured("CompiledQuery builds model instances only: no values(), annotations or extra columns.")
        slots = [(index, name) for index, name in enumerate(places) if name is not None]
        return _Plan(sql, list(params), slots, compiler)

    def all(self, **values):
        """The instances the query built with ``values`` returns, in its order."""
        if values.keys() != self.slots.keys():
            raise TypeError(f"CompiledQuery takes {', '.join(self.slots)}, given {', '.join(values)}.")
        if self._alias is None:  # the database the queryset reads from (the router's choice) and its model, once
            queryset = self.build(**self._stand_ins(0))
            self._alias, self._model = queryset.db, queryset.model
        alias = self._alias
        connection = connections[alias]
        # Kept on the connection (each thread has its own), so that a plan lives no longer than it.
        plans = connection.__dict__.setdefault("newsroom_compiled_queries", {})
        plan = plans.get(self)
        if plan is None:
            plan = plans[self] = self._compile(connection)
        params = list(plan.params)
        for index, name in plan.slots:
            params[index] = _adapt(connection, values[name])
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        instances = []
        for row in rows:
            instance = plan.model.from_db(alias, plan.init_list, row[plan.start : plan.end])
            for populator in plan.populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def get(self, **values):
        """The one instance, as ``QuerySet.get``: ``DoesNotExist`` or ``MultipleObjectsReturned`` otherwise."""
        instances = self.all(**values)
        if len(instances) == 1:
            return instances[0]
        model = self._model
        if not instances:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")
