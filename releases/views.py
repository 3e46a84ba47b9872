from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import CharField, Prefetch, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import DetailView, TemplateView

from .filters import NewsroomFilter
from .models import Advisory, Contact, Release, Source

PUBLIC_CONTACTS = Prefetch("contacts", queryset=Contact.objects.filter(is_public=True).select_related("source"))
MODELS = {"release": Release, "advisory": Advisory}


def with_related(queryset):
    """What every public list and page shows with an item, fetched in a constant number of queries."""
    queryset = queryset.select_related("source").prefetch_related(PUBLIC_CONTACTS)
    if queryset.model is Advisory:
        queryset = queryset.prefetch_related("programme")
    return queryset


class NewestFirst:
    """
    Releases and advisories merged into one list, newest publication first.

    The database orders and pages a UNION of (kind, pk, published_at); the page's
    objects are then fetched in one query per kind. A Paginator takes it like a
    queryset.
    """

    def __init__(self, release_queryset, advisory_queryset):
        fields = ("kind_name", "pk", "published_at")
        self.releases = release_queryset
        self.advisories = advisory_queryset
        self.keys = (
            release_queryset.order_by().annotate(kind_name=Value("release", output_field=CharField())).values_list(*fields)
            .union(
                advisory_queryset.order_by().annotate(kind_name=Value("advisory", output_field=CharField())).values_list(*fields),
                all=True,
            )
            .order_by("-published_at", "-pk")
        )

    def count(self):
        return self.keys.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        keys = list(self.keys[index])
        fetched = {
            "release": with_related(self.releases).in_bulk([pk for kind, pk, _ in keys if kind == "release"]),
            "advisory": with_related(self.advisories).in_bulk([pk for kind, pk, _ in keys if kind == "advisory"]),
        }
        return [fetched[kind][pk] for kind, pk, _ in keys if pk in fetched[kind]]


class NewsroomListMixin:
    """A filtered, paginated list of everything published; subclasses may narrow it."""

    paginate_by = settings.NEWSROOM_PAGE_SIZE

    def base_querysets(self):
        return Release.objects.published(), Advisory.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        releases, advisories = self.base_querysets()
        filterset = NewsroomFilter(self.request.GET, queryset=releases, request=self.request)
        entries = NewestFirst(filterset.filter_for(releases), filterset.filter_for(advisories))
        paginator = Paginator(entries, self.paginate_by)
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter=filterset,
            page_obj=page,
            entries=page.object_list,
            is_paginated=page.has_other_pages(),
            querystring=query.urlencode(),
        )
        return context


class HomeView(NewsroomListMixin, TemplateView):
    template_name = "releases/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.GET:
            # A filtered or later page is about the list; the upcoming box belongs to the front page.
            return context
        context["upcoming"] = with_related(
            Advisory.objects.published().filter(starts_at__gte=timezone.now() - timezone.timedelta(hours=6))
        ).order_by("starts_at")[:5]
        return context


class SourceView(NewsroomListMixin, DetailView):
    model = Source
    template_name = "releases/source_detail.html"

    def base_querysets(self):
        releases, advisories = super().base_querysets()
        return releases.for_source(self.object), advisories.for_source(self.object)


class PublishableDetailView(DetailView):
    """A public page: published editions, and withdrawn ones as a notice without their text."""

    context_object_name = "item"

    def get_queryset(self):
        return with_related(self.model.objects.public_or_withdrawn())


class ReleaseDetailView(PublishableDetailView):
    model = Release
    template_name = "releases/release_detail.html"


class AdvisoryDetailView(PublishableDetailView):
    model = Advisory
    template_name = "releases/advisory_detail.html"


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
        return response
