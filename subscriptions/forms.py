from django import forms
from django.utils.translation import gettext_lazy as _

from journalists.models import normalise_email
from releases.models import Source

from .models import Frequency, Kinds, frequency_label


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    sources = forms.ModelMultipleChoiceField(
        label=_("Sources"), queryset=Source.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every source."),
        error_messages={"invalid_choice": _("Choose sources from the list."), "invalid_pk_value": _("Choose sources from the list.")},
    )
    kinds = forms.ChoiceField(label=_("What"), choices=Kinds.choices, initial=Kinds.BOTH, widget=forms.RadioSelect)
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, initial=Frequency.IMMEDIATE, widget=forms.RadioSelect,
    )
    # The honeypot: hidden from people by the stylesheet (and from screen readers), filled in by bots.
    website = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["frequency"].choices = [(value, frequency_label(value)) for value in Frequency.values]

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])
