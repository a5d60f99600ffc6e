"""Reference data every app uses: countries, places and their names and
identifiers, networks and memberships, organisations, themes, sources and the
initiative's own activities."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    ActivityKind,
    ActivityStatus,
    Continent,
    IdentifierScheme,
    MembershipStatus,
    NameKind,
    OrganisationKind,
    PlaceKind,
    PlaceTier,
)
from .text import clean_name, clean_text, fold, folded_key


class Country(models.Model):
    """A country by its ISO 3166-1 alpha-2 code (and Kosovo as ``XK``)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    name_folded = models.CharField(max_length=120, db_index=True, editable=False)
    continent = models.CharField(_("continent"), max_length=2, choices=Continent.choices)

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{2}$"), name="country_code_is_two_capitals"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = clean_name(self.name)
        self.name_folded = folded_key(self, "name", "name_folded")
        super().save(*args, **kwargs)


class PlaceQuerySet(models.QuerySet):
    def search(self, text: str) -> "PlaceQuerySet":
        """Places any of whose names contains ``text``, compared folded."""
        key = fold(text)
        if not key:
            return self
        named = PlaceName.objects.filter(name_folded__contains=key).values("place_id")
        return self.filter(Q(name_folded__contains=key) | Q(pk__in=named))


class Place(models.Model):
    """A region, district, city, town or village, at one tier of government."""

    name = models.CharField(_("name"), max_length=200)
    name_folded = models.CharField(max_length=200, editable=False)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PlaceKind.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=PlaceTier.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="places", verbose_name=_("country")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    combined_authority = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="constituents",
        verbose_name=_("combined authority"),
        help_text=_("A UK combined authority this place belongs to; a relation, not a parent."),
    )
    admin1_code = models.CharField(
        _("GeoNames first-level code"),
        max_length=20,
        blank=True,
        help_text=_("GeoNames' own code of the first-level subdivision, e.g. 02 for Bavaria."),
    )
    subdivision_code = models.CharField(
        _("subdivision (ISO 3166-2)"), max_length=10, blank=True, help_text=_("e.g. DE-BY")
    )
    statistical_region = models.CharField(_("statistical region"), max_length=100, blank=True)
    population = models.PositiveBigIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("population year"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        indexes = [
            models.Index(fields=["name_folded", "id"], name="place_name_folded_idx"),
            models.Index(fields=["name", "id"], name="place_name_idx"),
            models.Index(fields=["country", "kind"], name="place_country_kind_idx"),
            models.Index(fields=["tier", "country"], name="place_tier_country_idx"),
            models.Index(fields=["country", "subdivision_code"], name="place_subdivision_idx"),
            models.Index(fields=["population", "id"], name="place_population_idx"),
            # Peer groups of one statistical region (a UK region such as North West).
            models.Index(fields=["statistical_region", "tier"], name="place_region_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="place_coordinates_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(population__isnull=True) | Q(population__gte=0),
                name="place_population_not_negative",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="place_name_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="place_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = clean_name(self.name)
        self.name_folded = folded_key(self, "name", "name_folded")
        super().save(*args, **kwargs)

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PlaceName(models.Model):
    """One name of a place, in any script, with its folded key for search."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(_("name"), max_length=200)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=12, choices=NameKind.choices, default=NameKind.ALTERNATIVE
    )

    class Meta:
        ordering = ["place", "name", "pk"]
        verbose_name = _("place name")
        verbose_name_plural = _("place names")
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="placename_unique_per_place"),
            models.CheckConstraint(condition=~Q(name=""), name="placename_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = clean_name(self.name)
        self.name_folded = folded_key(self, "name", "name_folded")
        super().save(*args, **kwargs)


class PlaceIdentifier(models.Model):
    """An identifier a source gives a place (GeoNames id, AGS, UK codes, Covenant id)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(_("scheme"), max_length=10, choices=IdentifierScheme.choices)
    value = models.CharField(_("value"), max_length=40)

    class Meta:
        ordering = ["scheme", "value"]
        indexes = [
            models.Index(fields=["scheme", "place"], name="placeidentifier_scheme_idx"),
        ]
        verbose_name = _("place identifier")
        verbose_name_plural = _("place identifiers")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="placeidentifier_unique"),
            models.CheckConstraint(condition=~Q(value=""), name="placeidentifier_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


class Source(models.Model):
    """A published data set the portal loaded, with its licence and the checksum
    of the file as loaded, so that a second load of an unchanged file writes nothing."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=300)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    licence = models.CharField(_("licence"), max_length=120)
    licence_url = models.URLField(_("licence URL"), max_length=500, blank=True)
    attribution = models.TextField(_("attribution"))
    description = models.TextField(_("what the portal loaded"), blank=True)
    retrieved_on = models.DateField(_("retrieved on"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    checksum = models.CharField(_("SHA-256 of the loaded file"), max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), null=True, blank=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.title


class OrganisationQuerySet(models.QuerySet):
    def search(self, text: str) -> "OrganisationQuerySet":
        """Organisations whose name contains ``text``, compared folded."""
        key = fold(text)
        if not key:
            return self
        return self.filter(name_folded__contains=key)


class Organisation(models.Model):
    """A government, agency, network, group of local authorities or company."""

    name = models.CharField(_("name"), max_length=500)
    name_folded = models.CharField(max_length=500, editable=False)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="organisations"
    )
    url = models.URLField(_("website"), max_length=500, blank=True)
    places = models.ManyToManyField(
        Place, blank=True, related_name="organisations", verbose_name=_("places covered")
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="organisations"
    )
    source_key = models.CharField(
        _("key in the source"),
        max_length=100,
        blank=True,
        help_text=_("The source's own identifier, so that a reload finds the organisation again."),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["name_folded", "id"], name="organisation_folded_idx"),
            models.Index(fields=["name", "id"], name="organisation_name_idx"),
            models.Index(fields=["kind", "country"], name="organisation_kind_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~Q(source_key=""),
                name="organisation_unique_source_key",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="organisation_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = clean_name(self.name)
        self.name_folded = folded_key(self, "name", "name_folded")
        super().save(*args, **kwargs)


class Network(models.Model):
    """A network places join: the Covenant of Mayors, the CSET eco-energy town programme."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("website"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A place's (or a group of authorities') membership of a network, with its dates.

    A town that adhered twice has two memberships.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    external_id = models.CharField(
        _("id in the network"),
        max_length=40,
        blank=True,
        help_text=_("e.g. the Covenant's organisation_id"),
    )
    network_code = models.CharField(
        _("network-wide code"), max_length=40, blank=True, help_text=_("e.g. GCoM id GB0016")
    )
    name_in_network = models.CharField(_("name in the network"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    commitments = models.JSONField(
        _("commitments"), default=list, blank=True, help_text=_("Codes from Commitment")
    )
    declared_population = models.PositiveBigIntegerField(
        _("population declared on joining"), null=True, blank=True
    )
    group = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_memberships",
        verbose_name=_("group"),
    )
    group_external_id = models.CharField(
        _("group id in the network"),
        max_length=40,
        blank=True,
        help_text=_("Kept even when the group itself is absent from the source."),
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )

    class Meta:
        ordering = ["network", "joined_on", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [
            models.Index(fields=["network", "status"], name="membership_network_status_idx"),
            models.Index(fields=["place", "network"], name="membership_place_network_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(place__isnull=False, organisation__isnull=True)
                | Q(place__isnull=True, organisation__isnull=False),
                name="membership_place_or_organisation",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(ended_on__gte=models.F("joined_on")),
                name="membership_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["network", "external_id"],
                condition=~Q(external_id=""),
                name="membership_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        member = self.place or self.organisation
        return f"{member} in {self.network}"


class Theme(models.Model):
    """A sector of the curated taxonomy (district energy, waste-to-energy, …)."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """One of the initiative's own projects, studies or outreach efforts."""

    title = models.CharField(_("title"), max_length=300, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=ActivityStatus.choices)
    start_year = models.PositiveSmallIntegerField(_("start year"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    countries = models.ManyToManyField(Country, blank=True, related_name="activities")
    partners = models.ManyToManyField(Organisation, blank=True, related_name="activities")
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )

    class Meta:
        ordering = ["start_year", "title", "pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(start_year__gte=1990, start_year__lte=2100),
                name="activity_start_year_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.title = clean_name(self.title)
        self.description = clean_text(self.description)
        super().save(*args, **kwargs)
