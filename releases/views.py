import heapq
import itertools
from datetime import datetime

from csp.constants import SELF
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.utils.text import slugify
from django.views.generic import DetailView, ListView, TemplateView

from newsroom.compiled import CompiledQuery

from . import calendar, documents, events, fragments, languages, paging, pictures, search, topics, vcard
from .caching import public_cache
from .filters import EventFilter, NewsroomFilter
from .models import Advisory, Contact, Document, Picture, Release, Source, Topic
from .workflow import State

PUBLIC_CONTACTS = Prefetch("contacts", queryset=Contact.objects.public().select_related("source"))
MODELS = {"release": Release, "advisory": Advisory}


def public_pages(model, now=None):
    """What a detail page may show: the edition's row and its source (the rest is read only to render a part)."""
    return model.objects.public_or_withdrawn(now).select_related("source")


def public_page_query(model):
    """The edition at one address, up to ``get``'s two, compiled once per connection (``newsroom.compiled``)."""
    return CompiledQuery(lambda now, slug: public_pages(model, now).filter(slug=slug).order_by()[:2], now=datetime, slug=str)


PUBLIC_PAGE = {model: public_page_query(model) for model in MODELS.values()}


def for_list(queryset):
    """What a list entry shows: the source and the lead picture; the text and contacts stay behind."""
    return queryset.select_related("source").prefetch_related("pictures").defer("body", "body_html")


def related_lookups(model):
    """What every public list and page shows with an item besides its source: its public contacts, pictures, programme."""
    return (PUBLIC_CONTACTS, "pictures", "programme") if model is Advisory else (PUBLIC_CONTACTS, "pictures")


def with_related(queryset):
    """What every public list and page shows with an item, fetched in a constant number of queries."""
    return queryset.select_related("source").prefetch_related(*related_lookups(queryset.model))


class NewestFirst:
    """
    Releases and advisories merged into one list, newest publication first.

    Sliced like a queryset: each model's keys are read in the list's order,
    only as many as the slice needs (an index scan with a LIMIT), and merged
    here; then the page's objects are fetched in one query per kind. Reading
    the two lists apart, rather than as one UNION, lets each use its index.
    """

    fields = ("published_at", "pk")

    def __init__(self, release_queryset, advisory_queryset, oldest_first=False):
        self.querysets = {"release": release_queryset, "advisory": advisory_queryset}
        #: Where the list's keys are read from (the page's items are then fetched by key from ``querysets``).
        self.ordered = self.querysets
        self.descending = not oldest_first

    def order(self, queryset):
        return queryset.order_by(*(f"-{f}" if self.descending else f for f in self.fields))

    def __getitem__(self, index):
        start, stop = index.start or 0, index.stop
        width = len(self.fields)
        rows = heapq.merge(
            *(
                # (…, published_at, kind, pk, the row): the list's order, ties broken by kind then pk,
                # as paging.beyond() expects; the row's further columns (``columns``) are never compared.
                [
                    (*row[: width - 1], kind, row[width - 1], row)
                    for row in self.order(queryset).values_list(*self.fields, *self.columns(kind))[:stop]
                ]
                for kind, queryset in self.ordered.items()
            ),
            reverse=self.descending,
        )
        return self.entries([(key[-3], key[-2], key[-1]) for key in itertools.islice(rows, start, stop)])

    def columns(self, kind):
        """What the key query reads besides ``fields``, for ``entries``."""
        return ()

    def entries(self, keys):
        """The page's items from its ``(kind, pk, row)`` keys, in order: read in one query per kind."""
        fetched = {
            kind: self.fetch(queryset).in_bulk([pk for key_kind, pk, _ in keys if key_kind == kind])
            for kind, queryset in self.querysets.items()
        }
        return [fetched[kind][pk] for kind, pk, _ in keys if pk in fetched[kind]]

    def fetch(self, queryset):
        """The query that reads the page's items."""
        return for_list(queryset)


class ListedNewestFirst(NewestFirst):
    """
    The list pages' merged list (home, a source's, a topic's): its entries come as their HTML
    (``fragments.listed_entries``). The key query reads what each entry's key depends on too, so an
    entry already in the cache costs no read of its edition; the others are read in full and rendered.
    """

    def columns(self, kind):
        return fragments.STAMP_FIELDS[kind]

    def entries(self, keys):
        width = len(self.fields)
        rows = [(kind, pk, row[width - 2], row[width:]) for kind, pk, row in keys]
        return fragments.listed_entries(rows, lambda kind, pks: self.fetch(self.querysets[kind]).in_bulk(pks))


class BestMatchFirst(NewestFirst):
    """
    The same merged list for a search: best match first (``search_rank``, see
    ``search``), then newest. The page's items come with their matched words
    highlighted, computed in the query that reads them: for the page's rows
    only, with no query more.
    """

    #: The visitor's language first (``search.visitor_language_first``), then best match, then newest.
    fields = ("search_language_first", "search_rank", "published_at", "pk")

    def __init__(self, release_queryset, advisory_queryset, words):
        super().__init__(release_queryset, advisory_queryset)
        # Ranked among the newest matches only, which are counted in the same look-up (PostgreSQL);
        # the page's rows are fetched by key from all of them.
        cuts = {kind: search.newest_matches(queryset) for kind, queryset in self.querysets.items()}
        self.ordered = {kind: cut for kind, (cut, _) in cuts.items()}
        self.counts = {kind: number for kind, (_, number) in cuts.items()}
        self.words = words

    def fetch(self, queryset):
        return search.highlight(super().fetch(queryset), self.words)

    def __getitem__(self, index):
        entries = super().__getitem__(index)
        for entry in entries:
            entry.title_html = search.marked(entry.search_title)
            # A passage only where the other text matched; a title-only match shows the summary.
            entry.snippet_html = search.marked(entry.search_snippet) if search.has_marks(entry.search_snippet) else ""
        return entries

    def count(self, page):
        """
        How many items match, and whether that is a lower bound (``search.COUNT_LIMIT``).
        Known without a query when the page is the last one; else counted, each kind
        up to the limit.
        """
        if page.object_list and not page.has_more:
            return (page.number - 1) * page.size + len(page.object_list), False
        if page.number == 1 and not page.object_list:
            return 0, False
        counts = [
            search.count(queryset) if self.counts[kind] is None else self.counts[kind]
            for kind, queryset in self.querysets.items()
        ]
        return sum(min(number, search.COUNT_LIMIT) for number in counts), max(counts) > search.COUNT_LIMIT


class NewsroomListMixin:
    """A filtered, searchable, paginated list of everything published; subclasses may narrow it."""

    def get_paginate_by(self):
        # Read per request, so that a deployment (or a test) may change it.
        return settings.NEWSROOM_PAGE_SIZE

    def base_querysets(self):
        return Release.objects.published(), Advisory.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        releases, advisories = self.base_querysets()
        filterset = NewsroomFilter(self.request.GET, queryset=releases, request=self.request)
        releases, advisories = filterset.filter_for(releases), filterset.filter_for(advisories)
        size = self.get_paginate_by()
        words = filterset.search_terms
        if words:
            results = BestMatchFirst(releases, advisories, words)
            page = paging.NumberedPage(results, paging.page_number(self.request.GET.get("page")), size)
            total, more = results.count(page)
            context.update(searched=" ".join(words), result_count=total, more_results=more)
            if total == 0:
                context.update(self.suggestions(filterset, words))
        else:
            # A list shows the page's language's items (``in_language``: /fr/ the French ones); a search
            # looks in every language, the page's first (``search.visitor_language_first``).
            page = paging.cursor_page(
                ListedNewestFirst, releases.in_language(), advisories.in_language(), size,
                before=self.request.GET.get("before"), after=self.request.GET.get("after"),
            )
        chips = filterset.chips()
        query = self.request.GET.copy()
        for key in ("page", "before", "after"):
            query.pop(key, None)
        context.update(
            filter=filterset,
            page_obj=page,
            entries=page.object_list,
            is_paginated=page.has_other_pages(),
            querystring=query.urlencode(),
            chips=chips,
            folded_filters=sum(chip.name != "q" for chip in chips),
            noindex=self.is_search(),
        )
        return context

    def is_search(self):
        """A search's results are not pages to index: any request that asks for one (``q``)."""
        return bool(self.request.GET.get("q", "").strip())

    def suggestions(self, filterset, words):
        """
        What to try when a search found nothing, each checked to find something:
        another spelling (``search.spelling``) with the same filters, and the
        removal of each filter that is in the way. Only this path pays for them.
        """
        base = self.base_querysets()
        suggestions = {}
        spelled = search.spelling(base, words)
        if spelled:
            respelled = filterset.without("q", " ".join(spelled))
            if any(search.found(respelled.filter_for(queryset)) for queryset in base):
                suggestions["spelling"] = (" ".join(spelled), respelled.querystring())
        suggestions["removals"] = [
            (chip, loosened.querystring())
            for chip, loosened in ((chip, filterset.without(chip.name)) for chip in filterset.chips())
            if chip.name != "q" and any(search.found(loosened.filter_for(queryset)) for queryset in base)
        ]
        return {"suggestions": suggestions}

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context.get("noindex"):
            response["X-Robots-Tag"] = "noindex"
        return response


def page_cursor(item):
    """The query string of the page that starts just after ``item`` (its "Older" link)."""
    return f"before={paging.encode_cursor(item)}"


@method_decorator(public_cache, name="dispatch")
class HomeView(NewsroomListMixin, TemplateView):
    template_name = "releases/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["calendar_subscribe_url"] = calendar.calendar_url(self.request)
        context["calendar_contents"] = calendar.calendar_contents()
        if self.request.GET:
            # A filtered or later page is about the list; the upcoming box belongs to the front page.
            return context
        # The box shows each event's title, time and place: no source, no picture. Read only when the
        # box is not in the cache (home.html: it is a function of the public state).
        context["upcoming"] = SimpleLazyObject(
            lambda: list(events.upcoming(Advisory.objects.published().in_language()).defer("body", "body_html")[:5])
        )
        return context


@method_decorator(public_cache, name="dispatch")
class EventsView(TemplateView):
    """
    ``/events/``: the media events, today's and upcoming first (soonest first), then
    past ones (latest first, a page at a time), filterable by source and month, with
    "Add to calendar" for each and the subscribable calendar.
    """

    template_name = "releases/events.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = EventFilter(self.request.GET, queryset=Advisory.objects.published().in_language(), request=self.request)
        upcoming, past = events.split(filterset.qs)
        size = settings.NEWSROOM_PAGE_SIZE
        past_page = paging.NumberedPage(for_list(past), paging.page_number(self.request.GET.get("page")), size)
        # The upcoming list is paged too (``?upcoming=2``), so a busy week is never silently cut.
        upcoming_number = paging.page_number(self.request.GET.get("upcoming"))
        upcoming_page = paging.NumberedPage(for_list(upcoming), upcoming_number, size)
        # The filters, for both lists' page links (each list's links start the other from its page 1).
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("upcoming", None)
        context.update(
            filter=filterset,
            upcoming=upcoming_page.object_list,
            upcoming_page=upcoming_page,
            past=past_page.object_list,
            page_obj=past_page,
            is_paginated=past_page.has_other_pages(),
            querystring=query.urlencode(),
            calendar_subscribe_url=calendar.calendar_url(self.request),
            calendar_contents=calendar.calendar_contents(),
        )
        return context


@method_decorator(public_cache, name="dispatch")
class SourceView(NewsroomListMixin, DetailView):
    model = Source
    template_name = "releases/source_detail.html"

    def base_querysets(self):
        releases, advisories = super().base_querysets()
        return releases.for_source(self.object), advisories.for_source(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contacts"] = self.object.contacts.public()
        return context


@method_decorator(public_cache, name="dispatch")
class ContactsView(ListView):
    """``/contacts/``: every public press contact, grouped by source."""

    template_name = "releases/contacts.html"

    def get_queryset(self):
        return Contact.objects.public().select_related("source").order_by("source__name", "name")


@method_decorator(public_cache, name="dispatch")
class ContactVCardView(DetailView):
    """``/contacts/<pk>.vcf``: one public contact as a vCard; an internal or unknown one is a 404."""

    def get_queryset(self):
        return Contact.objects.public().select_related("source")

    def render_to_response(self, context, **kwargs):
        contact = self.object
        body = vcard.build_vcard(contact, self.request.build_absolute_uri(contact.source.get_absolute_url()))
        response = HttpResponse(body, content_type="text/vcard; charset=utf-8")
        # "jan-novak.vcf": an ASCII name every browser keeps (slugify drops the accents).
        response["Content-Disposition"] = f'attachment; filename="{slugify(contact.name) or "contact"}.vcf"'
        return response


@method_decorator(public_cache, name="dispatch")
class TopicView(NewsroomListMixin, DetailView):
    """``/topics/<slug>/``: what is published under one topic, newest first (slugs may be Unicode)."""

    model = Topic
    template_name = "releases/topic_detail.html"

    def base_querysets(self):
        return tuple(topics.on_topic(queryset, self.object) for queryset in super().base_querysets())


@method_decorator(public_cache, name="dispatch")
class PublishableDetailView(DetailView):
    """A public page: published editions, and withdrawn ones as a notice without their text."""

    context_object_name = "item"

    def get_queryset(self):
        return public_pages(self.model)

    def get_object(self, queryset=None):
        try:
            return PUBLIC_PAGE[self.model].get(now=timezone.now(), slug=self.kwargs[self.slug_url_kwarg])
        except self.model.DoesNotExist:
            raise Http404(f"No public {self.model._meta.verbose_name} at this address.") from None

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if languages.public(self.object.language) != languages.active():
            # An item has one address, in its own language: /releases/<french item>/ → /fr/releases/….
            return HttpResponsePermanentRedirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        context["page_fragments"] = kept = fragments.PageFragments(self.request, item)
        if not kept.complete:
            prefetch_related_objects([item], *related_lookups(self.model), "documents", "topics")
        if item.state != State.WITHDRAWN:
            # Read only if the article is rendered (its topics box shows them).
            context["related"] = SimpleLazyObject(lambda: topics.related_items(item))
        return context


class ReleaseDetailView(PublishableDetailView):
    model = Release
    template_name = "releases/release_detail.html"


class AdvisoryDetailView(PublishableDetailView):
    model = Advisory
    template_name = "releases/advisory_detail.html"


@method_decorator(public_cache, name="dispatch")
class CalendarView(ListView):
    """``/advisories.ics``: the published advisories as a calendar to subscribe to (see ``calendar``)."""

    def get_queryset(self):
        return calendar.calendar_advisories(with_related(Advisory.objects.published().in_language()))

    def render_to_response(self, context, **kwargs):
        name = f"{settings.NEWSROOM_SITE_NAME}: media advisories"
        body = calendar.build_calendar(context["object_list"], self.request, name, calendar.calendar_contents())
        return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@method_decorator(public_cache, name="dispatch")
class AdvisoryCalendarView(DetailView):
    """``/advisories/<slug>.ics``: one advisory, for "Add to calendar"; the same event as in the feed."""

    def get_queryset(self):
        return with_related(Advisory.objects.published())

    def render_to_response(self, context, **kwargs):
        advisory = self.object
        body = calendar.build_calendar([advisory], self.request, advisory.title)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{advisory.slug}.ics"'
        return response


class RobotsView(TemplateView):
    """``/robots.txt``: crawlers welcome, except in the admin and previews; where the sitemap is."""

    template_name = "robots.txt"
    content_type = "text/plain; charset=utf-8"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # One sitemap per language (``sitemaps.py``): the default's at /sitemap.xml, French at /fr/sitemap.xml.
        context["sitemaps"] = [languages.reverse_in(code, "releases:sitemap") for code in languages.codes()]
        return context


class PreviewView(LoginRequiredMixin, TemplateView):
    """Staff only: any edition, in any state, rendered with the public template."""

    def get(self, request, kind, pk):
        model = MODELS.get(kind)
        if model is None:
            raise Http404
        if not request.user.is_staff or not request.user.has_perm(f"releases.view_{model._meta.model_name}"):
            raise PermissionDenied
        self.item = get_object_or_404(with_related(model.objects.all()), pk=pk)
        self.template_name = f"releases/{model._meta.model_name}_detail.html"
        return super().get(request)

    def get_context_data(self, **kwargs):
        response_context = super().get_context_data(**kwargs)
        response_context.update(item=self.item, preview=True)
        return response_context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = "private, no-store"
        # The change form shows it beside the editor in an <iframe> (static/js/newsroom-preview.js):
        # framing by this site's own pages only; every other page stays unframeable.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response._csp_replace = {"frame-ancestors": [SELF]}
        return response


def checked_attachment(request, model, key):
    """
    (row, is public) for a picture or document by its key: to anyone once public (its edition
    is published and due), before that to staff who may preview the item; else 404.
    """
    attached = model.objects.public().filter(key=key).first()
    public = attached is not None
    if not public and request.user.is_authenticated:
        attached = model.objects.previewable_by(request.user).filter(key=key).first()
    if attached is None:
        raise Http404
    return attached, public


def attachment_cache_headers(response, public):
    if public:
        # The file under a key never changes, but the item may be withdrawn: cache for a bounded time.
        response["Cache-Control"] = f"public, max-age={settings.NEWSROOM_PICTURE_CACHE_SECONDS}"
    else:
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
    return response


def picture_file(request, key, name):
    """
    One stored file of a picture (original or rendition).

    To the public only once the picture is public (its edition is published and
    due, or it is a source's logo); before that, to staff who may preview the item,
    uncached. Anyone else gets a 404, even with the address, so a draft's pictures
    stay under embargo however their address leaks.
    """
    picture, public = checked_attachment(request, Picture, key)
    stored_name = picture.stored_names().get(name)
    if not stored_name:
        raise Http404
    try:
        stored = picture.image.storage.open(stored_name, "rb")
    except OSError:
        raise Http404 from None
    extension = stored_name.rsplit(".", 1)[-1]
    return attachment_cache_headers(FileResponse(stored, content_type=pictures.CONTENT_TYPES[extension]), public)


def document_file(request, key):
    """A media-kit document, as a download: checked exactly like a picture (see ``picture_file``)."""
    document, public = checked_attachment(request, Document, key)
    return attachment_cache_headers(documents.file_response(document), public)


def media_kit(request, kind, slug):
    """
    "Download all": a published edition's picture originals and documents in one ZIP.

    Only from ``published()``: a draft's, a scheduled or a withdrawn item's kit is a 404.
    A small kit is zipped in the request; a large one (over ``NEWSROOM_MEDIA_KIT_INLINE_BYTES``)
    is zipped once by the worker (``tasks.build_media_kit``) into storage, keyed by the
    edition and its version, and the request answers 202 "being prepared" until it is there.
    """
    model = MODELS[kind]
    item = get_object_or_404(model.objects.published().prefetch_related("pictures", "documents"), slug=slug)
    if not (item.pictures.all() or item.documents.all()):
        raise Http404
    try:
        kit = documents.ready_kit(item, Document._meta.get_field("file").storage)
    except OSError:  # a stored file gone missing: nothing to offer, and never a 500
        raise Http404 from None
    if kit is None:
        from .tasks import build_media_kit

        # One enqueueing per kit while it is being built, however often the page is reloaded.
        if cache.add(f"media-kit-queued:{documents.kit_name(item)}", True, timeout=600):
            build_media_kit.enqueue(item._meta.label, item.pk)
        response = render(request, "releases/media_kit_preparing.html", {"item": item}, status=202)
        response["Retry-After"] = "10"
        response["Cache-Control"] = "no-store"
        return response
    response = FileResponse(kit, as_attachment=True, filename=f"{item.slug}-media-kit.zip", content_type="application/zip")
    return attachment_cache_headers(response, public=True)


def page_not_found(request, exception):
    """The 404 page (``handler404``), in the page's language; it is no page of the site in any language,
    so it names no alternates and its language switch leads home (``not_found``)."""
    return render(request, "404.html", {"not_found": True, "noindex": True}, status=404)


def healthz(request):
    """For load balancers and the benchmark's ceiling: the full middleware stack, no database, a fixed answer."""
    return HttpResponse("ok", content_type="text/plain")
