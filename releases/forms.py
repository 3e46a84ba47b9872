"""Forms shared by the admin's editors: what every text input goes through before it is saved."""
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import localtime
from .compare import word_diff
from .text import normalise_text, refused_links, render_body
from .models import EVENT_DATE_MAX, EVENT_DATE_MIN
from .workflow import State


class RichTextBody(forms.Textarea):
    """
    The body's rich-text editor (django-prose-editor's ProseMirror/Tiptap build).
    Its scripts load as one module of ours, ``static/js/newsroom-editor.js``, which
    imports the editor by a relative path: no import map, no inline script or
    style, so it runs under the site's Content-Security-Policy as it is.
    Without JavaScript it is a textarea of HTML, sanitised on save like any other.
    """

    def __init__(self, attrs=None):
        super().__init__({"data-newsroom-editor": "", "rows": 16, **(attrs or {})})

    class Media:
        css = {"all": [
            "django_prose_editor/material-icons.css",
            "django_prose_editor/editor.css",
            "django_prose_editor/overrides.css",
            "css/newsroom-editor.css",
        ]}
        js = [forms.Script("js/newsroom-editor.js", type="module")]


class NormalisedTextForm(forms.ModelForm):
    """
    A model form whose text is stored the way every input path stores it
    (``text.normalise_text``): a line break pasted from Word or a stray control
    character never reaches the database, where it would break the feeds and
    calendars that print it. A one-line field (a title, a name) gets a space
    for a line break; a field that was nothing but such characters is empty,
    and so refused if it is required.

    A body is written in the rich-text editor and stored as ``text.render_body``
    leaves it, whatever the browser sent: only the editor's structure survives.
    A link the body can't keep (``javascript:``, ``data:``, a relative path) is a
    form error naming it, never a silently dead link.
    """

    rich_text_fields = ("body",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.rich_text_fields:
            if name in self.fields:
                self.fields[name].widget = RichTextBody()

    def clean(self):
        for name in self.rich_text_fields:
            value = self.cleaned_data.get(name)
            if name not in self.fields or not isinstance(value, str):
                continue
            refused = refused_links(value)
            if refused:
                self.add_error(name, _(
                    "Links must start with https://, http://, mailto: or tel:. Change or remove: %(links)s"
                ) % {"links": ", ".join(refused)})
            else:
                self.cleaned_data[name] = render_body(value)
        cleaned_data = super().clean()
        for name, value in list(cleaned_data.items()):
            if not isinstance(value, str):
                continue
            try:
                model_field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:  # a form-only field
                continue
            multiline = isinstance(model_field, models.TextField)
            normalised = normalise_text(value, multiline=multiline)
            if not multiline:
                normalised = normalised.strip()
            if normalised != value:
                cleaned_data[name] = normalised
                if not normalised and self.fields[name].required:
                    self.add_error(name, _("This field holds no visible text."))
        return cleaned_data


class EditionForm(NormalisedTextForm):
    """
    The form of a release's or advisory's edition. It remembers the edition's
    revision when it was opened; a save after someone else saved or moved the
    edition is refused with a form error naming them, the editor's text stays
    in the form, and the differences from the saved version are shown. Saving
    the form again then replaces the saved version, deliberately.
    """

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    #: Help for press officers, in the newsroom's words (the body's help belongs to its editor).
    HELP_TEXTS = {
        "title": _("The headline, as readers see it on the page, in lists, feeds and when shared."),
        "slug": _(
            "The end of the page's web address: lower-case letters, digits and hyphens, filled in from the "
            "title. It can't change once the item has been public, so links to it keep working."
        ),
        "summary": _("One or two sentences shown in lists, feeds and search results, and at the top of the page."),
        "original_url": _("Only when this is a teaser: the page where the full text was first published."),
        "contacts": _(
            "Press contacts readers can call or write to. Contacts marked “internal” are not shown to the "
            "public: tick “public” on the contact to show one."
        ),
        "follow_up": _("The release published after the event. The advisory links to it once it is public."),
        "event_time": _("Local time at the event, on a 24-hour clock. Leave empty until it is announced."),
        "time_zone": _("The event's own time zone: readers see the time as it is there."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in self.HELP_TEXTS.items():
            if name in self.fields:
                self.fields[name].help_text = text
        if "slug" in self.fields:
            # Where the live address preview goes (static/js/newsroom-writing.js).
            self.fields["slug"].help_text = format_html(
                '{} <span class="nr-slug-preview">{} <strong id="nr-slug-preview"></strong></span>',
                self.HELP_TEXTS["slug"], _("Address:"),
            )
        self.conflict = None
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision
        if "duration" in self.fields:
            # Left empty (or not sent by an older form), an event lasts the default hour.
            self.fields["duration"].required = False

    def clean_duration(self):
        return self.cleaned_data.get("duration") or type(self.instance)._meta.get_field("duration").default

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance.pk:
            return cleaned_data
        # Locked until the save commits: no transition can move the edition between this check and the write.
        current = type(self.instance).objects.select_for_update().filter(pk=self.instance.pk).first()
        opened_at = cleaned_data.get("revision")
        if current is not None and opened_at == current.revision and current.state == State.DRAFT:
            return cleaned_data
        if current is None:
            raise forms.ValidationError(_("This version was deleted after you opened it; your changes were not saved."))
        who, when, what = current.last_change()
        self.conflict = {
            "who": who, "when": when, "what": what,
            "differences": self.differences(current, self.cleaned_data),
        }
        message = _(
            "%(who)s changed this version at %(when)s, after you opened it%(what)s. Your changes are not saved "
            "yet: they are still in the form below, and the differences from the saved version are shown."
        ) % {
            "who": who or _("The system"),
            "when": formats.date_format(timezone.localtime(when), "DATETIME_FORMAT"),
            "what": (_(" (it is now %s)") % str(what).lower()) if what else "",
        }
        if current.state == State.DRAFT:
            message += " " + str(_("Save again to replace the saved version with yours."))
            # The next save from this form is a deliberate choice to replace theirs.
            self.data = self.data.copy()
            self.data[self.add_prefix("revision")] = current.revision
        raise forms.ValidationError(message, code="stale")

    def differences(self, current, values):
        """(label, diff HTML, the value) for each text field whose value in ``values`` differs from the saved edition."""
        rows = []
        for name, field in self.fields.items():
            value = values.get(name)
            if not isinstance(value, str):
                continue
            saved = getattr(current, name, None)
            if isinstance(saved, str) and saved != value:
                rows.append((field.label, word_diff(saved, value), value))
        return rows


class PublicationTimeForm(forms.Form):
    """
    A publication time as the newsroom says it: a date and a 24-hour time in the
    newsroom's zone (``localtime``), both empty for "now". ``cleaned_data["publish_at"]``
    is the instant, or None. A time in the past, a date that doesn't exist, a time
    the clocks skip are form errors; a time the clocks pass twice must be chosen
    (``publish_fold``), never guessed.
    """

    publish_date = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a real date (that day doesn't exist or isn't a date).")},
    )
    publish_time = forms.TimeField(
        required=False, input_formats=["%H:%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={
            "inputmode": "numeric", "pattern": "([01]?[0-9]|2[0-3]):[0-5][0-9]", "placeholder": "17:30",
            "maxlength": "5", "size": "5", "autocomplete": "off",
        }),
        error_messages={"invalid": _("Enter a 24-hour time such as 09:05 or 17:30.")},
    )
    publish_fold = forms.ChoiceField(required=False, choices=[(localtime.FIRST, "first"), (localtime.SECOND, "second")])

    #: (FIRST|SECOND, label) when the typed time happens twice that night (set by ``clean``).
    overlap = ()

    def clean(self):
        cleaned_data = super().clean()
        day, wall_time = cleaned_data.get("publish_date"), cleaned_data.get("publish_time")
        cleaned_data["publish_at"] = None
        if self.errors:
            return cleaned_data
        if day is None and wall_time is None:
            return cleaned_data
        if day is None or wall_time is None:
            raise forms.ValidationError(
                _("Give both the date and the time to schedule, or neither to publish now."), code="incomplete",
            )
        if not EVENT_DATE_MIN <= day <= EVENT_DATE_MAX:
            self.add_error("publish_date", _("Give a date between 1900 and 2199."))
            return cleaned_data
        # Both readings of a time the clocks pass twice, offered as a choice whatever else is wrong.
        self.overlap = [(key, label) for key, label, _instant in localtime.overlap_choices(day, wall_time)]
        try:
            instant = localtime.local_instant(day, wall_time, cleaned_data.get("publish_fold") or None)
        except forms.ValidationError as error:
            self.add_error("publish_time", error)
            return cleaned_data
        if instant <= timezone.now():
            self.add_error("publish_time", forms.ValidationError(
                _("%(when)s is in the past. Give a time ahead, or leave both empty to publish now.")
                % {"when": localtime.describe(instant)},
                code="past",
            ))
            return cleaned_data
        cleaned_data["publish_at"] = instant
        return cleaned_data
