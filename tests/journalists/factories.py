"""Factories for the media directory's tests: real rows in the real test database."""
import itertools
from datetime import date

from journalists.models import Journalist, Language, MediaList

_counter = itertools.count(1)


def make_journalist(name=None, email=None, languages=(), sources=(), **extra):
    n = next(_counter)
    fields = {"outlet": f"Outlet {n}", "basis": Journalist.Basis.PROFESSIONAL, "basis_date": date(2023, 1, 10)}
    fields.update(extra)
    journalist = Journalist.objects.create(
        name=name or f"Journalist {n}", email=email or f"journalist{n}@example.org", **fields,
    )
    journalist.languages.set(Language.objects.filter(code__in=languages))
    journalist.sources.set(sources)
    return journalist


def make_list(name=None, journalists=(), sources=(), languages=(), **extra):
    kind = MediaList.Kind.CRITERIA if (sources or languages or extra.get("kinds")) else MediaList.Kind.STATIC
    media_list = MediaList.objects.create(name=name or f"List {next(_counter)}", kind=extra.pop("kind", kind), **extra)
    media_list.journalists.set(journalists)
    media_list.sources.set(sources)
    media_list.languages.set(Language.objects.filter(code__in=languages))
    return media_list
