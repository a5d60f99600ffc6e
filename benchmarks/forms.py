"""The choice of a comparison — year, peer group, highlighted place — shared by the
indicator page, the place scorecard and /api/v1/benchmarks/."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from cset.reference.choices import Continent, PlaceTier
from cset.reference.filters import GivenOnceForm
from cset.reference.models import Country, Network, Place
from cset.reference.text import fold

from .models import SavedPeerGroup
from .peers import POPULATION_BANDS, PeerGroup

FIRST_YEAR, LAST_YEAR = 1900, 2100
TRUE_WORDS = frozenset({"true", "1", "on", "yes"})
FALSE_WORDS = frozenset({"", "false", "0", "off", "no"})


class StrippedChoiceField(forms.ChoiceField):
    """A choice read from a query string, where " " is no choice rather than a wrong one."""

    def to_python(self, value):
        return super().to_python(value).strip()


class ComparisonForm(GivenOnceForm):
    """Read from the query string; every field optional. Invalid values are form errors
    (a 400 with the field's message), never a silent fallback."""

    place = forms.CharField(
        label=_("Place"),
        required=False,
        max_length=220,
        help_text=_(
            "Name or slug of the place to highlight; its tier and country are the default peers."
        ),
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text=_("Empty: the latest year with values."),
    )
    tier = StrippedChoiceField(
        label=_("Tier of government"),
        required=False,
        choices=[("", _("The place's tier (without a place: local)"))] + PlaceTier.choices,
    )
    country = forms.CharField(
        label=_("Country"),
        required=False,
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Give an ISO 3166-1 code such as GB."))],
        help_text=_("ISO 3166-1 alpha-2 code; empty with a place: the place's country."),
    )
    subdivision = forms.CharField(
        label=_("Subdivision"),
        required=False,
        max_length=10,
        validators=[
            RegexValidator(
                r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$", _("Give an ISO 3166-2 code such as DE-BY.")
            )
        ],
        help_text=_("ISO 3166-2 code of a first-level subdivision, such as DE-BY."),
    )
    region = forms.CharField(
        label=_("Statistical region"),
        required=False,
        max_length=100,
        help_text=_("Such as North West (UK regions)."),
    )
    continent = StrippedChoiceField(
        label=_("Continent"), required=False, choices=[("", _("Any"))] + Continent.choices
    )
    population = StrippedChoiceField(
        label=_("Population"),
        required=False,
        choices=[("", _("Any"))] + [(key, label) for key, label, _low, _high in POPULATION_BANDS],
        help_text=_("Judged on the population of the year compared."),
    )
    network = forms.SlugField(
        label=_("Network"), required=False, max_length=80, help_text=_("Network slug.")
    )
    peer_group = forms.SlugField(
        label=_("Saved peer group"),
        required=False,
        max_length=80,
        help_text=_("Slug of a peer group curated by the secretariat."),
    )
    all_countries = forms.BooleanField(
        label=_("Compare across countries"),
        required=False,
        help_text=_("With a place: do not narrow the peers to its country."),
    )
    verified = forms.BooleanField(
        label=_("Verified values only"),
        required=False,
        help_text=_("Leave out self-reported values."),
    )

    def __init__(self, *args, default_tier: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # The tier compared when none is chosen and no place or saved group implies one
        # (pages compare local places; the API asks for a choice).
        self.default_tier = default_tier

    def clean_place(self) -> Place | None:
        text = self.cleaned_data["place"]
        if not text:
            return None
        places = Place.objects.select_related("country")
        place = places.filter(slug=text).first()
        if place is not None:
            return place
        # A name, as people type it: taken when exactly one place bears it.
        named = list(places.filter(name_folded=fold(text)).order_by("-population", "pk")[:6])
        if not named:
            raise forms.ValidationError(_("There is no place with this name or slug."))
        if len(named) > 1:
            raise forms.ValidationError(
                _("Several places are called “%(name)s”; give one of their slugs: %(slugs)s.")
                % {"name": text, "slugs": ", ".join(_described(place) for place in named[:5])}
            )
        return named[0]

    def clean_country(self) -> str:
        code = self.cleaned_data["country"].upper()
        if code and not Country.objects.filter(code=code).exists():
            raise forms.ValidationError(_("There is no country with this code."))
        return code

    def clean_subdivision(self) -> str:
        code = self.cleaned_data["subdivision"].upper()
        # ISO 3166-2 codes begin with their country's: the (country, subdivision) index.
        if code and not Place.objects.filter(country_id=code[:2], subdivision_code=code).exists():
            raise forms.ValidationError(_("No place lies in a subdivision with this code."))
        return code

    def clean_verified(self) -> bool:
        return self._yes_or_no("verified")

    def clean_all_countries(self) -> bool:
        return self._yes_or_no("all_countries")

    def _yes_or_no(self, name: str) -> bool:
        # A checkbox reads any text as true; a link or an API call deserves a clear answer.
        raw = (self.data.get(self.add_prefix(name)) or "").strip().lower()
        if raw not in TRUE_WORDS | FALSE_WORDS:
            raise forms.ValidationError(_("Give true or false."))
        return raw in TRUE_WORDS

    def clean_network(self) -> str:
        slug = self.cleaned_data["network"]
        if slug and not Network.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("There is no network with this slug."))
        return slug

    def clean_region(self) -> str:
        region = " ".join(self.cleaned_data["region"].split())
        if not region:
            return ""
        regions = Place.objects.values_list("statistical_region", flat=True)
        if regions.filter(statistical_region=region).exists():
            return region
        # "north west" for North West: the spelling of the places, found the slow way.
        spelt = regions.filter(statistical_region__iexact=region).first()
        if spelt is None:
            raise forms.ValidationError(_("No place lies in a statistical region of this name."))
        return spelt

    def clean_peer_group(self) -> SavedPeerGroup | None:
        slug = self.cleaned_data["peer_group"]
        if not slug:
            return None
        saved = SavedPeerGroup.objects.filter(slug=slug).first()
        if saved is None:
            raise forms.ValidationError(_("There is no saved peer group with this slug."))
        return saved

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        place, saved, tier = cleaned.get("place"), cleaned.get("peer_group"), cleaned.get("tier")
        if not (tier or place or saved):
            if self.default_tier:
                cleaned["tier"] = self.default_tier
            else:
                self.add_error("tier", _("Choose a tier of government, a place or a saved group."))
        if saved and tier and tier != saved.tier:
            self.add_error(
                "tier",
                _("The saved group “%(name)s” holds places of the tier “%(tier)s”.")
                % {"name": saved.name, "tier": saved.get_tier_display()},
            )
        return cleaned

    def check_year(self, years: list[int]) -> None:
        """Refuse a year without values (``years``, newest first): a page of nothing."""
        year = self.cleaned_data["year"]
        if year is None or year in years or not years:
            return
        self.add_error(
            "year",
            _("There are no values for %(year)s; years with values: %(first)s to %(last)s.")
            % {"year": year, "first": years[-1], "last": years[0]},
        )

    def group(self) -> PeerGroup:
        """The group the valid form describes."""
        data = self.cleaned_data
        place, saved = data["place"], data["peer_group"]
        tier = data["tier"] or (saved.tier if saved else place.tier)
        country = data["country"]
        if not country and place and not data["all_countries"] and not saved:
            country = place.country_id
        return PeerGroup(
            tier=tier,
            country=country.upper(),
            subdivision=data["subdivision"].upper(),
            region=data["region"],
            continent=data["continent"],
            band=data["population"],
            network=data["network"],
            place_ids=tuple(saved.places.values_list("pk", flat=True)) if saved else None,
            name=saved.name if saved else "",
            saved_group_id=saved.pk if saved else None,
        )


def _described(place: Place) -> str:
    """A place's slug with what tells it apart from its namesakes: "manchester (GB, Local)"."""
    return f"{place.slug} ({place.country_id}, {place.get_tier_display()})"
