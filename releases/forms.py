"""Forms shared by the admin's editors: what every text input goes through before it is saved."""
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from .text import normalise_text


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
