from dataclasses import dataclass
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import search
from .models import EVENT_DATE_MAX, EVENT_DATE_MIN, Advisory, Release, Source

#: The browser's date picker offers only the days the filter accepts.
DATE_INPUT = forms.DateInput(attrs={"type": "date", "min": EVENT_DATE_MIN.isoformat(), "max": EVENT_DATE_MAX.isoformat()})


def within_date_range(value):
    """
    The filter's dates span the same years as an event may (1900 to 2199). A day beyond
    that can't be turned into an instant in every server zone (0001-01-01 in Brussels is
    in year 0 in UTC), and no press office has published anything there: it is a form
    error the reader sees, with the list left empty, rather than a silently moved bound.
    """
    if not EVENT_DATE_MIN <= value <= EVENT_DATE_MAX:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            params={
                "first": f"{EVENT_DATE_MIN.day} {EVENT_DATE_MIN:%B %Y}",
                "last": f"{EVENT_DATE_MAX.day} {EVENT_DATE_MAX:%B %Y}",
            },
            code="out_of_range",
        )


#: Where a list is in its pages: a changed filter starts from the first page again.
PAGE_PARAMETERS = ("page", "before", "after")


@dataclass
class Chip:
    """An active filter as the page shows it, with the query string of the list without it."""

    name: str
    label: str
    value: str
    remove: str


class PublicFilterSet(django_filters.FilterSet):
    """What the public lists' filter sets share (``includes/filters.html`` keeps their form while ``unfiltered``)."""

    @property
    def unfiltered(self):
        """
        No filter asked for: none of the form's parameters is in the query string (a list's first page,
        or a later one by its cursor). The list is then the whole list, and the form is neither built
        nor validated: django-filter makes a form class per request, which was a tenth of the home page.
        """
        return not any(name in self.data for name in self.filters)

    @property
    def errors(self):
        """The form's errors; none while ``unfiltered``, without building the form to say so."""
        return {} if self.unfiltered else self.form.errors

    def filter_for(self, queryset):
        """
        The same filters applied to ``queryset`` (this set's own, or one of another publishable model):
        all of it while ``unfiltered``; nothing while the filters are invalid (they show their error and
        an empty list, never everything).
        """
        if self.unfiltered:
            return queryset
        if not self.is_valid():
            return queryset.none()
        return self.filter_queryset(queryset)

    @property
    def qs(self):
        return self.filter_for(self.queryset.all())


class NewsroomFilter(PublicFilterSet):
    """
    The public filters of the newsroom lists. One FilterSet serves releases and
    advisories alike: both have ``source`` and ``published_at``, and ``kind``
    empties the queryset of the kind that wasn't asked for.
    """

    KIND_CHOICES = [("release", _("Press releases")), ("advisory", _("Media advisories"))]

    q = django_filters.CharFilter(
        method="filter_search", label=_("Search"), widget=forms.TextInput(attrs={"type": "search"}),
    )
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.all(), to_field_name="slug", empty_label=_("All sources"),
    )
    kind = django_filters.ChoiceFilter(
        choices=KIND_CHOICES, method="filter_kind", empty_label=_("Releases and advisories"), label=_("Kind"),
    )
    date_from = django_filters.DateFilter(
        method="filter_date_from", label=_("From"), validators=[within_date_range],
        widget=DATE_INPUT,
    )
    date_to = django_filters.DateFilter(
        method="filter_date_to", label=_("To"), validators=[within_date_range],
        widget=DATE_INPUT,
    )

    class Meta:
        model = Release
        fields = ["q", "source", "kind", "date_from", "date_to"]

    def filter_search(self, queryset, name, value):
        """Full text, on the database's own index (see ``search``); adds ``search_rank``."""
        return search.search(queryset, value)

    @property
    def search_terms(self):
        """The words searched for, if the filters are valid and a search was asked for."""
        if self.unfiltered:
            return []
        return search.terms(self.form.cleaned_data.get("q")) if self.is_valid() else []

    def chips(self):
        """The active filters, in the form's order; each chip's link removes it and nothing else."""
        if self.unfiltered or not self.is_valid():
            return []
        chips = []
        for name in self.Meta.fields:
            value = self.form.cleaned_data.get(name)
            if name == "q":
                value = " ".join(self.search_terms)
            if value in (None, ""):
                continue
            if name == "kind":
                value = dict(self.KIND_CHOICES)[value]
            elif name in ("date_from", "date_to"):
                value = f"{value.day} {value:%B %Y}"
            chips.append(Chip(name, self.form[name].label, str(value), self.without(name).querystring()))
        return chips

    def without(self, name, value=None):
        """The same filters with ``name`` removed (or set to ``value``), from the first page."""
        data = self.data.copy()
        for key in PAGE_PARAMETERS:
            data.pop(key, None)
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value  # in its place: the link reads as the reader's own query
        return type(self)(data, queryset=self.queryset, request=self.request)

    def querystring(self):
        return self.data.urlencode()

    def filter_kind(self, queryset, name, value):
        return queryset if queryset.model.kind == value else queryset.none()

    # Whole local days, as ranges on the indexed column rather than a date() of it.
    def filter_date_from(self, queryset, name, value):
        start = timezone.make_aware(datetime.combine(value, time.min))
        return queryset.filter(published_at__gte=start)

    def filter_date_to(self, queryset, name, value):
        end = timezone.make_aware(datetime.combine(value + timedelta(days=1), time.min))
        return queryset.filter(published_at__lt=end)


def month_start(value):
    """"2023-11" as the first day of that month, within the dates an event may have; else a form error."""
    try:
        first = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValidationError(_("Give a month as YYYY-MM, such as 2023-11."), code="invalid") from None
    within_date_range(first)
    return first


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": _("YYYY-MM"), "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        return month_start(value) if value else None


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class EventFilter(PublicFilterSet):
    """The events page's filters: the source, and the month of the event (its own local date)."""

    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.all(), to_field_name="slug", empty_label=_("All sources"),
    )
    month = MonthFilter(method="filter_month", label=_("Month"))

    class Meta:
        model = Advisory
        fields = ["source", "month"]

    def filter_month(self, queryset, name, first):
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return queryset.filter(event_date__gte=first, event_date__lt=following)
