"""The media directory's admin forms."""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from releases.forms import NormalisedTextForm

from .csv_io import MAX_BYTES
from .models import Journalist, MediaList, normalise_email


class JournalistForm(NormalisedTextForm):
    class Meta:
        model = Journalist
        fields = "__all__"

    def clean_email(self):
        # Normalised before the unique check, so "Ana@X.org" is found to be "ana@x.org".
        return normalise_email(self.cleaned_data["email"])

    def clean_basis_date(self):
        basis_date = self.cleaned_data["basis_date"]
        if basis_date and basis_date > timezone.localdate():
            raise forms.ValidationError(_("The basis can't start in the future."))
        return basis_date


class MediaListForm(NormalisedTextForm):
    class Meta:
        model = MediaList
        fields = "__all__"

    def clean(self):
        cleaned_data = super().clean()
        kind = cleaned_data.get("kind")
        has_criteria = any(cleaned_data.get(name) for name in ("sources", "kinds", "languages"))
        if kind == MediaList.Kind.CRITERIA:
            if not has_criteria:
                raise forms.ValidationError(_(
                    "Choose at least one criterion (a source, a kind or a language): a criteria list without any "
                    "would be the whole directory."
                ))
            if cleaned_data.get("journalists"):
                self.add_error("journalists", _("A criteria list has no chosen members; its criteria choose them."))
        elif kind == MediaList.Kind.STATIC and has_criteria:
            raise forms.ValidationError(_(
                "Criteria apply to criteria lists only: clear them, or make this a criteria list."
            ))
        return cleaned_data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 (“CSV UTF-8” in Excel), at most %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
    )
    media_list = forms.ModelChoiceField(
        MediaList.objects.filter(kind=MediaList.Kind.STATIC), required=False,
        label=_("Also add everyone in the file to the list"), empty_label=_("(no list)"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it.") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class AddressForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])
