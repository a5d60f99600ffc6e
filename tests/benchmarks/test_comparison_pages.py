"""The indicator page's comparison: standings against a small set computed by hand, the
refusal under five places, the empty state, 400s for bad choices, the downloads, and a
query count that does not grow with the group."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from benchmarks.choices import Direction, QuantityKind, Verification
from benchmarks.downloads import DOWNLOAD_COLUMNS
from benchmarks.models import SavedPeerGroup
from benchmarks.views import RANKED_PER_PAGE
from cset.reference.choices import PlaceTier
from cset.reference.models import Place
from tests import factories

pytestmark = pytest.mark.django_db

CODE = "co2-per-person"

# Lower is better: Ashford is best. Fareham gives only a notation; Kent is a county, of
# another tier, and never in their group.
VALUES = {
    "ashford": 10.0,
    "bolton": 20.0,
    "crewe": 20.0,
    "gloucester": 30.0,
    "derby": 40.0,
    "exeter": 50.0,
}
# Ranks and percentiles by hand: percentile = other places not better / (n - 1) × 100,
# that is (n - rank) / (n - 1): tied places share both.
EXPECTED = {
    "ashford": (1, 100.0),
    "bolton": (2, 80.0),
    "crewe": (2, 80.0),
    "gloucester": (4, 40.0),
    "derby": (5, 20.0),
    "exeter": (6, 0.0),
}
POPULATIONS = {
    "ashford": 130_000,
    "bolton": 290_000,
    "crewe": 75_000,
    "gloucester": 132_000,
    "derby": 260_000,
    "exeter": 131_000,
    "fareham": 110_000,
}


def detail(code: str = CODE) -> str:
    return reverse("indicators:detail", args=[code])


def download(fmt: str, code: str = CODE) -> str:
    return reverse(f"indicators:comparison-{fmt}", args=[code])


@pytest.fixture
def britain():
    return factories.CountryFactory(code="GB", name="United Kingdom")


@pytest.fixture
def source():
    return factories.SourceFactory(
        slug="uk-emissions",
        title="UK emissions",
        licence="OGL-3.0",
        attribution="Contains public sector information (OGL v3.0)",
    )


@pytest.fixture
def indicator():
    return factories.IndicatorFactory(
        code=CODE,
        name="CO2 per person",
        unit="t CO2/person",
        direction=Direction.LOWER_IS_BETTER,
        quantity_kind=QuantityKind.INTENSITY,
    )


@pytest.fixture
def places(britain, source, indicator):
    made = {}
    for slug, population in POPULATIONS.items():
        made[slug] = factories.PlaceFactory(
            slug=slug,
            name=slug.title(),
            country=britain,
            tier=PlaceTier.LOCAL,
            population=population,
            statistical_region="North West" if slug in ("bolton", "crewe") else "Midlands",
        )
    for slug, value in VALUES.items():
        factories.MeasurementFactory(
            place=made[slug], indicator=indicator, source=source, value=value, unit="t CO2/person"
        )
    factories.MeasurementFactory(
        place=made["fareham"], indicator=indicator, source=source, missing=True
    )
    made["kent"] = factories.PlaceFactory(
        slug="kent", name="Kent", country=britain, tier=PlaceTier.COUNTY, population=1_500_000
    )
    factories.MeasurementFactory(place=made["kent"], indicator=indicator, source=source, value=1.0)
    return made


def _table(response) -> dict:
    return {
        row.measurement.place.slug: (row.standing.rank, row.standing.percentile)
        for row in response.context["page"].object_list
    }


def _chart(html: str) -> dict:
    island = re.search(
        r'<script id="comparison-chart-data" type="application/json">(.*?)</script>', html
    )
    return json.loads(island.group(1))


def _csv(response) -> tuple[list[str], list[dict]]:
    text = response.content.decode("utf-8").lstrip("\ufeff")
    about = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return about, list(csv.DictReader(io.StringIO(body)))


# The page


def test_the_chosen_place_s_standing_is_stated_and_its_row_marked(client, places):
    response = client.get(detail(), {"place": "derby"})

    assert response.status_code == 200
    assert _table(response) == EXPECTED
    html = response.content.decode()
    assert "<strong>Derby</strong>: rank 5 of 6, percentile 20" in html
    assert "40 t CO2/person in 2020" in html
    assert html.count('id="chosen-place"') == 1
    chosen_row = html[html.index('id="chosen-place"') :]
    assert chosen_row.index(">Chosen<") < chosen_row.index(">Derby</a>")
    assert 'aria-current="true"' in chosen_row[:200]


def test_a_row_s_compare_link_puts_its_place_in_place_of_the_chosen_one(client, places):
    html = client.get(detail(), {"place": "derby", "population": "100k-1m"}).content.decode()

    links = re.findall(r'href="\?([^"]*)#standing"', html)
    assert links and all(link.count("place=") == 1 for link in links)
    assert "population=100k-1m&amp;place=ashford" in links


def test_the_ranked_table_lists_the_best_first_with_ties_sharing_a_rank(client, places):
    response = client.get(detail())

    rows = response.context["page"].object_list
    assert [row.measurement.place.slug for row in rows] == [
        "ashford",
        "bolton",
        "crewe",
        "gloucester",
        "derby",
        "exeter",
    ]
    assert "kent" not in _table(response)
    assert response.context["comparison"].group.tier == PlaceTier.LOCAL


def test_higher_is_better_turns_the_ranking_round(client, places, indicator):
    indicator.direction = Direction.HIGHER_IS_BETTER
    indicator.save()

    response = client.get(detail(), {"place": "exeter"})

    assert _table(response)["exeter"] == (1, 100.0)
    assert _table(response)["ashford"] == (6, 0.0)
    assert "<strong>Exeter</strong>: rank 1 of 6, percentile 100" in response.content.decode()


def test_the_group_is_described_with_its_spread(client, places):
    response = client.get(detail(), {"place": "derby"})

    html = response.content.decode()
    assert "Peers: Local, GB. 6 places have a value for 2020." in html
    spread = response.context["comparison"].spread
    # Sorted 10, 20, 20, 30, 40, 50: positions (n - 1) × p = 1.25, 2.5, 3.75.
    assert (spread.lower_quartile, spread.median, spread.upper_quartile) == (20.0, 25.0, 37.5)
    assert '<th scope="row">Median</th><td class="number">25</td>' in html
    assert '<th scope="row">Upper quartile</th><td class="number">37.50</td>' in html
    assert '<abbr title="Not reported" class="notation">NR</abbr> (not reported) 1 place' in html


def test_the_chart_reads_its_numbers_from_a_data_island(client, places):
    html = client.get(detail(), {"place": "derby"}).content.decode()

    chart = _chart(html)
    assert chart["box"] == [10.0, 20.0, 25.0, 37.5, 50.0]
    assert sorted(chart["values"]) == sorted(VALUES.values())
    assert chart["place"] == {"name": "Derby", "value": 40.0}
    assert chart["unit"] == "t CO2/person"
    assert "vendor/echarts-6.1.0/echarts.min.js" in html and "js/charts.js" in html
    # No inline script: only the JSON island and files.
    assert not re.search(r"<script(?![^>]*(?:src=|application/json))", html)
    assert 'role="img"' in html and "Distribution of CO2 per person in 2020" in html


def test_fewer_than_five_places_get_no_ranking_and_the_reason(client, places):
    response = client.get(detail(), {"place": "bolton", "region": "North West"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Only 2 places of this group have a value for this year" in html
    assert not response.context["comparison"].ranked
    assert set(_table(response).values()) == {(None, None)}
    assert ">Rank</th>" not in html and ">Percentile</th>" not in html
    assert "<strong>Bolton</strong>: 20 t CO2/person in 2020, not ranked." in html


@pytest.mark.parametrize("query", [{}, {"year": "2020"}, {"place": "derby"}])
@pytest.mark.parametrize("address", [detail(), download("csv"), download("json")])
def test_a_saved_group_without_places_is_an_empty_comparison(client, places, query, address):
    # The admin may save a group before its places are chosen.
    SavedPeerGroup.objects.create(slug="empty", name="Not chosen yet", tier=PlaceTier.LOCAL)

    response = client.get(address, {"peer_group": "empty", **query})

    assert response.status_code == 200
    if address == detail():
        assert response.context["comparison"].spread.size == 0
        assert "No place of this group has a value" in response.content.decode()


def test_a_large_saved_group_ranks_a_place_year_by_year(client, places, britain):
    # Its places were once passed to the database one parameter each, for every year and
    # twice for a place's standing: more than SQLite takes (a 500).
    others = factories.PlaceFactory.build_batch(8_000, country=britain, tier=PlaceTier.LOCAL)
    Place.objects.bulk_create(others, batch_size=1_000)
    saved = SavedPeerGroup.objects.create(slug="many", name="Many towns", tier=PlaceTier.LOCAL)
    saved.places.add(*Place.objects.filter(tier=PlaceTier.LOCAL).values_list("pk", flat=True))
    indicator = places["derby"].measurements.first().indicator
    source = places["derby"].measurements.first().source
    for year in range(2005, 2020):
        for slug, value in VALUES.items():
            factories.MeasurementFactory(
                place=places[slug], indicator=indicator, source=source, year=year, value=value
            )

    response = client.get(detail(), {"peer_group": "many", "place": "derby"})

    assert response.status_code == 200
    rows = response.context["by_year"]["rows"]
    assert [(row["year"], row["standing"].rank) for row in rows[:2]] == [(2005, 5), (2006, 5)]
    assert len(rows) == 16


def test_a_context_indicator_lists_values_without_ranking_them(client, places, indicator):
    indicator.direction = Direction.CONTEXT
    indicator.save()

    response = client.get(detail())

    assert "describes a place rather than judging it" in response.content.decode()
    slugs = [row.measurement.place.slug for row in response.context["page"].object_list]
    assert slugs[0] == "exeter" and slugs[-1] == "ashford"


def test_the_population_band_narrows_the_group(client, places):
    response = client.get(detail(), {"place": "derby", "population": "100k-1m"})

    # Crewe has 75,000 people: out. Derby is then fourth of five.
    assert set(_table(response)) == {"ashford", "bolton", "gloucester", "derby", "exeter"}
    html = response.content.decode()
    assert "<strong>Derby</strong>: rank 4 of 5, percentile 25" in html
    assert "Peers: Local, GB, 100,000 to 1 million people." in html


def test_the_page_offers_the_narrower_groups_as_links(client, places):
    html = client.get(detail(), {"place": "bolton"}).content.decode()

    assert 'href="?place=bolton&amp;population=100k-1m">100,000 to 1 million people</a>' in html
    assert 'href="?place=bolton&amp;region=North+West">only North West</a>' in html
    assert 'href="?place=bolton&amp;all_countries=on">every country</a>' in html


def test_a_place_of_another_tier_is_not_slipped_into_the_group(client, places):
    response = client.get(detail(), {"place": "kent", "tier": "local"})

    html = response.content.decode()
    assert "<strong>Kent</strong> is not in this group" in html
    assert "kent" not in _table(response)

    alone = client.get(detail(), {"place": "kent"})
    assert list(_table(alone)) == ["kent"]
    assert not alone.context["comparison"].ranked


def test_a_place_without_a_value_says_so(client, places):
    html = client.get(detail(), {"place": "fareham"}).content.decode()

    sentence = "<strong>Fareham</strong> is not among the places of this group with a value for"
    assert f"{sentence} 2020" in html


def test_verified_only_leaves_out_self_reported_values(client, places, indicator):
    indicator.measurements.filter(place__slug__in=["ashford", "bolton"]).update(
        verification=Verification.THIRD_PARTY_VERIFIED
    )

    response = client.get(detail(), {"verified": "on"})

    assert set(_table(response)) == {"ashford", "bolton"}
    assert "Only values reviewed by the secretariat" in response.content.decode()


def test_an_earlier_year_can_be_chosen(client, places, indicator, source):
    for value, slug in enumerate(("derby", "ashford", "bolton", "crewe", "exeter")):
        factories.MeasurementFactory(
            place=places[slug], indicator=indicator, source=source, year=2019, value=value
        )

    response = client.get(detail(), {"year": "2019", "place": "derby"})

    assert response.context["comparison"].year == 2019
    assert response.context["years"] == [2020, 2019]
    assert "<strong>Derby</strong>: rank 1 of 5, percentile 100" in response.content.decode()


@pytest.fixture
def sixty(britain, source, indicator):
    places = []
    for n in range(60):
        place = factories.PlaceFactory(slug=f"town-{n:02}", name=f"Town {n:02}", country=britain)
        factories.MeasurementFactory(
            place=place, indicator=indicator, source=source, value=float(n)
        )
        places.append(place)
    return places


def test_the_ranked_table_has_pages_and_finds_the_chosen_place(client, sixty):
    first = client.get(detail(), {"place": "town-55"})

    assert len(first.context["page"].object_list) == RANKED_PER_PAGE
    assert first.context["chosen_page"] == 2
    html = first.content.decode()
    assert (
        'href="?place=town-55&amp;page=2#chosen-place">Show Town 55 in the table (page 2)' in html
    )

    second = client.get(detail(), {"place": "town-55", "page": "2"})
    ranks = [row.standing.rank for row in second.context["page"].object_list]
    assert ranks == list(range(51, 61))
    assert second.content.decode().count('id="chosen-place"') == 1


def test_an_indicator_without_values_shows_an_empty_state(client, db):
    factories.IndicatorFactory(code="street-lighting-per-km", name="Street lighting per km")

    response = client.get(detail("street-lighting-per-km"), {"place": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert "No values yet: this indicator is part of the catalogue" in html
    assert "comparison" not in response.context
    csv_download = client.get(download("csv", "street-lighting-per-km"))
    assert csv_download.status_code == 200
    assert _csv(csv_download)[1] == []


def test_a_derived_indicator_names_its_inputs(client, db):
    for code in ("de-capacity-renewable-total", "population"):
        factories.IndicatorFactory(code=code, name=code.title())
    factories.IndicatorFactory(code="de-capacity-renewable-per-1000")

    html = client.get(detail("de-capacity-renewable-per-1000")).content.decode()

    assert "Computed from" in html
    assert f'href="{detail("de-capacity-renewable-total")}"' in html
    assert f'href="{detail("population")}"' in html
    assert "<code>de-population</code>" in html


BAD_CHOICES = [
    ({"year": "abc"}, "year"),
    ({"year": "1e400"}, "year"),
    ({"year": "NaN"}, "year"),
    ({"year": "inf"}, "year"),
    ({"year": "-1"}, "year"),
    ({"year": "1800"}, "year"),
    ({"year": "2019"}, "year"),
    ({"year": "\x00"}, "year"),
    ({"tier": "planet"}, "tier"),
    ({"place": "atlantis"}, "place"),
    ({"place": "x" * 10_000}, "place"),
    ({"place": "🙂"}, "place"),
    ({"place": "ሰላም"}, "place"),
    ({"place": "서울"}, "place"),
    ({"place": "москва"}, "place"),
    ({"place": "derby\x00"}, "place"),
    ({"country": "G\x00"}, "country"),
    ({"country": "GBR"}, "country"),
    ({"subdivision": "Bavaria"}, "subdivision"),
    ({"subdivision": "XX-YY"}, "subdivision"),
    ({"population": "huge"}, "population"),
    ({"continent": "XX"}, "continent"),
    ({"network": "nope"}, "network"),
    ({"peer_group": "nope"}, "peer_group"),
    ({"region": "x" * 10_000}, "region"),
]


@pytest.mark.parametrize(("params", "field"), BAD_CHOICES)
def test_bad_choices_are_a_400_showing_the_field_s_error(client, places, params, field):
    response = client.get(detail(), params)

    assert response.status_code == 400
    html = response.content.decode()
    assert "This comparison cannot be made" in html
    assert f'id="id_{field}-errors"' in html
    assert 'aria-invalid="true"' in html
    assert "comparison" not in response.context


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
@pytest.mark.parametrize(("params", "field"), BAD_CHOICES[:3] + BAD_CHOICES[9:11])
def test_bad_choices_refuse_a_download_with_a_400(client, places, fmt, params, field):
    response = client.get(download(fmt), params)

    assert response.status_code == 400
    if fmt == "json":
        assert response["Content-Type"] == "application/json"
        assert response.json()[field]
    else:
        assert response["Content-Type"].startswith("text/plain")
        assert response.content.decode().startswith(f"{field}: ")


def test_whitespace_alone_is_no_choice(client, places):
    response = client.get(detail(), {"place": "   ", "tier": " "})

    assert response.status_code == 200
    assert response.context["comparison"].group.tier == PlaceTier.LOCAL


def test_the_form_leaves_the_tier_to_a_place_typed_in_later(client, places):
    # The page compares local places by default, but does not write "local" into the
    # form: a county typed into it afterwards is compared with counties.
    page = client.get(detail())
    assert page.context["comparison"].group.tier == PlaceTier.LOCAL
    assert page.context["form"]["tier"].value() in ("", None)

    response = client.get(detail(), {"place": "kent", "tier": ""})

    assert response.status_code == 200
    assert response.context["comparison"].group.tier == PlaceTier.COUNTY


def test_a_place_may_be_given_by_its_name(client, places):
    response = client.get(detail(), {"place": "  DERBY "})

    assert response.status_code == 200
    assert response.context["comparison"].place.place_id == places["derby"].pk


def test_a_name_shared_by_several_places_asks_for_a_slug(client, places, britain):
    factories.PlaceFactory(slug="derby-ks", name="Derby", tier=PlaceTier.LOCAL)

    response = client.get(detail(), {"place": "Derby"})

    assert response.status_code == 400
    errors = response.context["form"].errors["place"]
    assert "Several places are called “Derby”" in errors[0]
    assert "derby (GB, Local)" in errors[0] and "derby-ks" in errors[0]


# Downloads


def test_the_csv_holds_the_whole_group_with_its_description(client, sixty):
    response = client.get(download("csv"), {"place": "town-55"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (f'attachment; filename="{CODE}-2020-comparison.csv"')
    about, rows = _csv(response)
    assert "# indicator: CO2 per person (co2-per-person)" in about
    assert "# peer_group: Local, GB" in about
    assert "# verified_only: false" in about
    assert "# sources: Contains public sector information (OGL v3.0)" in about
    assert any(line.startswith("# page: http://testserver/indicators/") for line in about)
    assert list(rows[0]) == DOWNLOAD_COLUMNS
    # Every page of the table, not only the first.
    assert len(rows) == 60
    assert [row["rank"] for row in rows] == [str(rank) for rank in range(1, 61)]
    assert rows[0] == {
        "place": "Town 00",
        "place_slug": "town-00",
        "country": "GB",
        "year": "2020",
        "value": "0.0",
        "unit": "t CO2/person",
        "rank": "1",
        "percentile": "100.0",
        "verification": "self_reported",
        "method": "reported",
        "source": "UK emissions",
        "licence": "OGL-3.0",
    }


def test_the_csv_is_what_the_page_shows(client, places):
    params = {"place": "derby", "population": "100k-1m"}
    page = client.get(detail(), params)

    _about, rows = _csv(client.get(download("csv"), params))

    assert {row["place_slug"]: (int(row["rank"]), float(row["percentile"])) for row in rows} == (
        _table(page)
    )
    assert "kent" not in {row["place_slug"] for row in rows}


def test_an_unranked_download_leaves_rank_and_percentile_empty(client, places):
    about, rows = _csv(client.get(download("csv"), {"region": "North West"}))

    assert {(row["rank"], row["percentile"]) for row in rows} == {("", "")}
    assert any("Only 2 places" in line for line in about)


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(client, places):
    places["ashford"].name = '=HYPERLINK("http://example.org")'
    places["ashford"].save()

    _about, rows = _csv(client.get(download("csv"), {"place": "derby"}))

    assert rows[0]["place"] == '\'=HYPERLINK("http://example.org")'


def test_the_xlsx_has_the_rows_and_a_sheet_about_them(client, places):
    places["ashford"].name = '=HYPERLINK("http://example.org")'
    places["ashford"].save()

    response = client.get(download("xlsx"), {"place": "derby"})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "comparison.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Comparison", "About"]
    rows = list(workbook["Comparison"].values)
    assert list(rows[0]) == DOWNLOAD_COLUMNS
    assert len(rows) == 7
    first = workbook["Comparison"]["A2"]
    # A name that looks like a formula stays text.
    assert first.value == '=HYPERLINK("http://example.org")' and first.data_type == "s"
    assert rows[1][4:8] == (10.0, "t CO2/person", 1, 100.0)
    about = dict(workbook["About"].values)
    assert about["indicator"] == "CO2 per person (co2-per-person)"
    assert about["places_with_values"] == 6
    assert about["median"] == 25.0
    assert about["sources"] == "Contains public sector information (OGL v3.0)"


def test_the_json_has_the_rows_the_group_and_the_sources(client, places):
    response = client.get(download("json"), {"place": "derby"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["indicator"] == "CO2 per person (co2-per-person)"
    assert body["year"] == 2020
    assert body["peer_group"] == "Local, GB"
    assert (body["places_with_values"], body["median"]) == (6, 25.0)
    assert body["columns"] == DOWNLOAD_COLUMNS
    assert body["sources"] == [
        {
            "title": "UK emissions",
            "licence": "OGL-3.0",
            "attribution": "Contains public sector information (OGL v3.0)",
            "url": "https://data.example.org/uk-emissions",
        }
    ]
    derby = next(row for row in body["rows"] if row["place_slug"] == "derby")
    assert (derby["rank"], derby["percentile"], derby["value"]) == (5, 20.0, 40.0)


def test_the_page_links_to_its_downloads_with_its_choices(client, places):
    html = client.get(detail(), {"place": "derby", "page": "1"}).content.decode()

    for fmt in ("csv", "xlsx", "json"):
        assert f'href="{download(fmt)}?place=derby"' in html


# Queries


def _grow(count: int, britain, source, indicator) -> None:
    for _ in range(count):
        place = factories.PlaceFactory(country=britain)
        factories.MeasurementFactory(
            place=place, indicator=indicator, source=source, quality_flags=["inconsistent_total"]
        )


@pytest.mark.parametrize("params", [{}, {"place": "derby", "population": "100k-1m"}])
def test_the_page_needs_as_many_queries_for_3_or_30_places(
    client, places, britain, source, indicator, django_assert_max_num_queries, params
):
    _grow(3, britain, source, indicator)
    # indicator, mappings, years, place, spread, standings, page rows, notations, (for the
    # indicator without a source of its own) source ids and sources, and with a place its
    # values and their standings year by year.
    with django_assert_max_num_queries(12) as few:
        client.get(detail(), params)
    _grow(27, britain, source, indicator)
    with django_assert_max_num_queries(12) as many:
        response = client.get(detail(), params)

    assert len(few.captured_queries) == len(many.captured_queries)
    if not params:
        assert response.context["page"].paginator.count == 36


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_downloads_need_as_many_queries_for_3_or_30_places(
    client, places, britain, source, indicator, django_assert_max_num_queries, fmt
):
    _grow(3, britain, source, indicator)
    # indicator, years, place, spread, standings, details.
    with django_assert_max_num_queries(6) as few:
        client.get(download(fmt), {"place": "derby"})
    _grow(27, britain, source, indicator)
    with django_assert_max_num_queries(6) as many:
        client.get(download(fmt), {"place": "derby"})

    assert len(few.captured_queries) == len(many.captured_queries)


@pytest.mark.parametrize("page", ["3", "99", "1000001", "9" * 30])
def test_a_page_past_the_end_of_the_ranking_is_a_404(client, sixty, page):
    assert client.get(detail(), {"page": page}).status_code == 404


def test_the_chart_draws_every_value_of_a_small_group(client, sixty):
    chart = client.get(detail()).context["chart"]

    assert sorted(chart["values"]) == [float(n) for n in range(60)]
