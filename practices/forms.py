"""Forms of the submitter's pages: the case in sections, its rows (impacts, costs,
financing, links), and the hidden keys that make a save safe (a submission key for a
new case, the version for an edit). The models' ``clean()`` and practices.rows hold the
rules; these forms only shape the input."""

from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from benchmarks.models import Indicator
from benchmarks.units import UNIT_EXPRESSIONS
from cset.reference.filters import MAX_ID
from cset.reference.models import Organisation, Place, Theme
from cset.reference.text import clean_text

from . import attachments, rows
from .models import (
    DEFAULT_LICENCE,
    BestPractice,
    Cost,
    Financing,
    Impact,
    PracticeLink,
    validate_web_address,
)

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


def is_id(value: str) -> bool:
    """Whether ``value`` can be a primary key: ASCII digits within a 64-bit integer ("²"
    is a digit to Python, and a larger number makes the database fail, not refuse)."""
    return value.isascii() and value.isdigit() and int(value) <= MAX_ID


class ChosenRowsField(forms.ModelMultipleChoiceField):
    """Places or organisations ticked by primary key; a value that cannot be one is
    refused here rather than sent to the database."""

    def clean(self, value):
        if isinstance(value, list | tuple):
            for pk in value:
                if not is_id(str(pk)):
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)


def language_choices() -> list[tuple[str, str]]:
    choices = list(settings.LANGUAGES)
    known = {code for code, _name in choices}
    return choices + [(code, name) for code, name in EXTRA_LANGUAGES if code not in known]


class PracticeForm(forms.ModelForm):
    """The whole case template, minus its rows (formsets) and the workflow's fields."""

    places = ChosenRowsField(
        label=_("Places"),
        queryset=Place.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Find places by name below and tick the ones the case is about."),
    )
    organisations = ChosenRowsField(
        label=_("Organisations"),
        queryset=Organisation.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Find the organisations that did the work or paid for it, and tick them."),
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
            "organisations",
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


# Currencies offered as suggestions; any ISO 4217 code may be typed.
COMMON_CURRENCIES = [
    ("EUR", _("Euro")),
    ("USD", _("US dollar")),
    ("GBP", _("Pound sterling")),
    ("JPY", _("Japanese yen")),
    ("CNY", _("Chinese yuan")),
    ("KRW", _("South Korean won")),
    ("INR", _("Indian rupee")),
    ("BRL", _("Brazilian real")),
    ("CAD", _("Canadian dollar")),
    ("AUD", _("Australian dollar")),
    ("CHF", _("Swiss franc")),
    ("SEK", _("Swedish krona")),
    ("DKK", _("Danish krone")),
    ("NOK", _("Norwegian krone")),
    ("PLN", _("Polish złoty")),
    ("MXN", _("Mexican peso")),
    ("ZAR", _("South African rand")),
    ("IDR", _("Indonesian rupiah")),
    ("ETB", _("Ethiopian birr")),
    ("CLP", _("Chilean peso")),
]
CURRENCY_LIST_ID = "currency-codes"


class CurrencyField(forms.CharField):
    """Three letters typed freely ("eur" is EUR); the model's validator knows the codes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Currency"))
        kwargs.setdefault("help_text", _("Three letters, e.g. EUR, USD or KRW."))
        super().__init__(max_length=3, **kwargs)
        self.widget.attrs.update(
            {"list": CURRENCY_LIST_ID, "autocomplete": "off", "size": 4, "maxlength": 3}
        )

    def to_python(self, value):
        return clean_text(super().to_python(value)).upper()


class WebAddressField(forms.URLField):
    """A web page's address: ``https://`` is added when none is typed; ``javascript:``,
    ``data:`` and the like are refused with a message of their own."""

    def __init__(self, **kwargs):
        super().__init__(assume_scheme="https", **kwargs)

    def validate(self, value):
        super().validate(value)
        # Before the URL validator, whose "Enter a valid URL." would not say what is wrong.
        validate_web_address(value)


class RowForm(forms.ModelForm):
    """One row of a case: text tidied like the API's rows, compact widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean(self):
        cleaned = rows.tidy(super().clean())
        # Text of blanks only ("\u200b") is empty once tidied: as required as if left empty.
        for name, value in list(cleaned.items()):
            if value == "" and self.fields[name].required:
                self.add_error(name, self.fields[name].error_messages["required"])
        return cleaned


class ImpactForm(RowForm):
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("", "—")] + [(unit, unit) for unit in UNIT_EXPRESSIONS],
    )
    indicator = forms.ChoiceField(
        label=_("Indicator this moves"),
        required=False,
        help_text=_(
            "Optional. The unit must then measure what the indicator measures (energy, "
            "emissions, capacity …)."
        ),
    )

    class Meta:
        model = Impact
        fields = [
            "metric",
            "value",
            "unit",
            "indicator",
            "period",
            "baseline",
            "basis",
            "energy_basis",
            "verification",
            "source",
        ]

    def __init__(self, *args, indicators: dict[str, Indicator] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The formset reads the indicators once for all its rows (BaseImpactFormSet).
        if indicators is None:
            indicators = indicator_choices()
        self.indicators = indicators
        self.fields["indicator"].choices = [("", "—")] + [
            (pk, f"{indicator.name} ({indicator.unit})") for pk, indicator in indicators.items()
        ]

    def clean_indicator(self) -> Indicator | None:
        chosen = self.cleaned_data["indicator"]
        return self.indicators[chosen] if chosen else None


def indicator_choices() -> dict[str, Indicator]:
    """The indicators an impact may name, by primary key as the form sends it."""
    return {str(indicator.pk): indicator for indicator in Indicator.objects.order_by("name", "pk")}


class BaseRowFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this row")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


class BaseImpactFormSet(BaseRowFormSet):
    @cached_property
    def indicators(self) -> dict[str, Indicator]:
        return indicator_choices()

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "indicators": self.indicators}


class CostForm(RowForm):
    currency = CurrencyField()
    price_year = forms.IntegerField(
        label=_("Price year"),
        min_value=1900,
        max_value=2100,
        help_text=_("The year whose prices the amount is in."),
        error_messages={
            "min_value": _("Give a year between 1900 and 2100."),
            "max_value": _("Give a year between 1900 and 2100."),
        },
    )

    class Meta:
        model = Cost
        fields = ["kind", "item", "amount", "currency", "price_year"]


class FinancingForm(RowForm):
    currency = CurrencyField(required=False)

    class Meta:
        model = Financing
        fields = ["kind", "funder", "amount", "currency"]


class LinkForm(RowForm):
    url = WebAddressField(
        label=_("Web address"),
        max_length=500,
        help_text=_("A page about the case, starting with http:// or https://."),
    )
    title = forms.CharField(
        label=_("Text of the link"),
        required=False,
        max_length=300,
        help_text=_("Leave empty to show the address."),
    )

    class Meta:
        model = PracticeLink
        fields = ["url", "title"]


def _row_formset(model, form, formset=BaseRowFormSet):
    """A formset of a case's rows: one empty row to fill in, at most rows.MAX_ROWS."""
    return forms.inlineformset_factory(
        BestPractice,
        model,
        form=form,
        formset=formset,
        extra=1,
        can_delete=True,
        can_delete_extra=False,
        max_num=rows.MAX_ROWS,
        validate_max=True,
    )


ImpactFormSet = _row_formset(Impact, ImpactForm, BaseImpactFormSet)
CostFormSet = _row_formset(Cost, CostForm)
FinancingFormSet = _row_formset(Financing, FinancingForm)
LinkFormSet = _row_formset(PracticeLink, LinkForm)


@dataclass(frozen=True)
class RowSection:
    """The fieldset of one kind of row on the case form."""

    prefix: str
    formset_class: type[forms.BaseInlineFormSet]
    legend: str
    row_legend: str
    help_text: str
    column: str = "col-md-4"


ROW_SECTIONS = [
    RowSection(
        "impacts",
        ImpactFormSet,
        _("Impacts"),
        _("Impact %(number)s"),
        _(
            "One row for each measured or estimated effect, per year unless the period "
            "says otherwise."
        ),
    ),
    RowSection(
        "costs",
        CostFormSet,
        _("Costs"),
        _("Cost %(number)s"),
        _("What the case cost: one row for each investment or yearly operating cost."),
    ),
    RowSection(
        "financing",
        FinancingFormSet,
        _("Financing"),
        _("Source of money %(number)s"),
        _("Where the money came from; the amount is optional."),
    ),
    RowSection(
        "links",
        LinkFormSet,
        _("Links"),
        _("Link %(number)s"),
        _("Web pages about the case: a report, a news article, the project's site."),
        column="col-md-6",
    ),
]


@dataclass
class BoundRows:
    """A row section with its formset for one request."""

    section: RowSection
    formset: forms.BaseInlineFormSet

    @property
    def submitted(self) -> bool:
        # A post without this kind's management form (a page opened before the kind was
        # added, or a client posting some kinds only) leaves its rows as they are.
        return self.formset.is_bound

    def is_valid(self) -> bool:
        return not self.submitted or self.formset.is_valid()

    def save(self, practice: BestPractice) -> None:
        if self.submitted:
            self.formset.instance = practice
            self.formset.save()

    def rows(self) -> list[tuple[str, forms.ModelForm]]:
        """The formset's forms with their legends ("Cost 2")."""
        return [
            (self.section.row_legend % {"number": number}, form)
            for number, form in enumerate(self.formset, start=1)
        ]


def row_formsets(data=None, instance: BestPractice | None = None) -> list[BoundRows]:
    """The case's row formsets, bound to ``data`` where it holds their management form."""
    bound = []
    for section in ROW_SECTIONS:
        submitted = data is not None and f"{section.prefix}-TOTAL_FORMS" in data
        formset = section.formset_class(
            data if submitted else None, instance=instance, prefix=section.prefix
        )
        bound.append(BoundRows(section, formset))
    return bound


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
