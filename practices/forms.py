"""Forms of the submitter's pages: the case in sections, its impact rows, and the
hidden keys that make a save safe (a submission key for a new case, the version for
an edit). The model's ``clean()`` holds the rules; these forms only shape the input."""

import math

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from benchmarks.units import UNIT_EXPRESSIONS
from cset.reference.models import Place, Theme

from . import attachments
from .models import DEFAULT_LICENCE, BestPractice, Impact

# The interface's languages, plus the case languages submitters most often write in.
EXTRA_LANGUAGES = [("de", _("German")), ("fr", _("French")), ("es", _("Spanish"))]

LICENCES = [
    (DEFAULT_LICENCE, _("Creative Commons Attribution 4.0 (CC BY 4.0)")),
    ("CC-BY-SA-4.0", _("Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA 4.0)")),
    ("CC0-1.0", _("Public domain dedication (CC0 1.0)")),
]

# The sections of the form, in order: (legend, field names).
SECTIONS = [
    (_("The case"), ["title", "summary"]),
    (
        _("What happened"),
        ["context", "actions", "results", "costs", "lessons", "replication"],
    ),
    (_("Implementation"), ["implementation", "start_year", "end_year", "language"]),
    (_("Themes"), ["themes"]),
    (_("Contact"), ["contact_name", "contact_email", "contact_is_public"]),
    (_("Licence"), ["licence"]),
]


def language_choices() -> list[tuple[str, str]]:
    choices = list(settings.LANGUAGES)
    known = {code for code, _name in choices}
    return choices + [(code, name) for code, name in EXTRA_LANGUAGES if code not in known]


class PracticeForm(forms.ModelForm):
    """The whole case template, minus impacts (a formset) and the workflow's fields."""

    places = forms.ModelMultipleChoiceField(
        label=_("Places"),
        queryset=Place.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Find places by name below and tick the ones the case is about."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.order_by("position", "pk"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("Language of the text"), choices=language_choices)
    licence = forms.ChoiceField(label=_("Licence"), choices=LICENCES, initial=DEFAULT_LICENCE)

    class Meta:
        model = BestPractice
        fields = [
            "title",
            "summary",
            "context",
            "actions",
            "results",
            "costs",
            "lessons",
            "replication",
            "places",
            "themes",
            "implementation",
            "start_year",
            "end_year",
            "language",
            "contact_name",
            "contact_email",
            "contact_is_public",
            "licence",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in ("summary", "context", "actions", "results", "costs", "lessons")
        } | {"replication": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A case imported under another licence keeps it as a choice.
        current = self.instance.licence if self.instance.pk else None
        if current and current not in dict(LICENCES):
            self.fields["licence"].choices = [*LICENCES, (current, current)]
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                field.widget.attrs.setdefault("class", "form-control")

    def sections(self):
        """The visible fields grouped as fieldsets: (legend, bound fields)."""
        return [(legend, [self[name] for name in names]) for legend, names in SECTIONS]

    def practice_data(self) -> dict:
        """The cleaned values in the shape the services take."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class NewPracticeForm(PracticeForm):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)


class EditPracticeForm(PracticeForm):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    answer = forms.CharField(
        label=_("Your answer to the curators"),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("Sent with the case when you save and resubmit it."),
    )


class ImpactForm(forms.ModelForm):
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("", "—")] + [(unit, unit) for unit in UNIT_EXPRESSIONS],
    )

    class Meta:
        model = Impact
        fields = [
            "metric",
            "value",
            "unit",
            "period",
            "baseline",
            "basis",
            "energy_basis",
            "verification",
            "source",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean_value(self) -> float:
        # Django's FloatField refuses NaN and infinity already; the check stays explicit
        # here because a savings total built on one of them would be meaningless.
        value = self.cleaned_data["value"]
        if value is not None and not math.isfinite(value):
            raise forms.ValidationError(_("Give a finite number."))
        return value


ImpactFormSet = forms.inlineformset_factory(
    BestPractice, Impact, form=ImpactForm, extra=1, can_delete=True, max_num=50
)


class AttachmentForm(forms.Form):
    """One document or picture added with a save of the case form (optional)."""

    file = forms.FileField(
        label=_("Attach a document or picture"),
        required=False,
        help_text=_(
            "A PDF document or a PNG, JPEG, GIF or WebP picture. Save again to add another. "
            "Choose the file again if the form comes back with a message."
        ),
    )
    title = forms.CharField(
        label=_("Caption for the file"),
        required=False,
        max_length=attachments.TITLE_MAX_LENGTH,
        help_text=_("Shown as the link to the file; leave empty to use the file's name."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "attachment")
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {
                "class": "form-control",
                "accept": "application/pdf,image/png,image/jpeg,image/gif,image/webp",
            }
        )
        self.fields["title"].widget.attrs["class"] = "form-control"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload:
            attachments.check_upload(upload)
        return upload
