"""Forms shared by the admin's editors: what every text input goes through before it is saved."""
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .compare import word_diff
from .text import normalise_text
from .workflow import State


class NormalisedTextForm(forms.ModelForm):
    """
    A model form whose text is stored the way every input path stores it
    (``text.normalise_text``): a line break pasted from Word or a stray control
    character never reaches the database, where it would break the feeds and
    calendars that print it. A one-line field (a title, a name) gets a space
    for a line break; a field that was nothing but such characters is empty,
    and so refused if it is required.
    """

    def clean(self):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision

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
