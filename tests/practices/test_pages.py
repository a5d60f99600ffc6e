"""The practice pages: list (search, filters, facets, sort, pages, CSV) and a case's detail."""

import csv
import io

import pytest
from django.urls import reverse

from practices.choices import Assessment, Implementation, Status
from practices.views import CSV_HEADER
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "/practices/"
HIDDEN_STATES = [state for state in Status.values if state != Status.PUBLISHED]
MUENSTER_ATTRIBUTION = (
    "Stadt Münster, Sachstandsberichte Klimaschutz 2013–2018, via Klimawatch (Code for Münster)"
)


def listed(response) -> list[str]:
    """The slugs a list page shows, in order."""
    return [practice.slug for practice in response.context["page"].object_list]


def facet(response, name: str) -> dict[str, tuple[int, bool]]:
    """A facet of a list page as {value: (count, selected)}."""
    return {c.value: (c.count, c.selected) for c in response.context["facets"][name]}


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def catalogue():
    """Published cases in two countries and three themes, and a hidden case of every state."""
    germany = factories.CountryFactory(code="DE", name="Germany")
    korea = factories.CountryFactory(code="KR", name="Korea")
    muenster = factories.PlaceFactory(name="Münster", slug="muenster", country=germany)
    aachen = factories.PlaceFactory(name="Aachen", slug="aachen", country=germany)
    seoul = factories.PlaceFactory(name="Seoul", slug="서울", country=korea)
    transport = factories.ThemeFactory(slug="transport")
    lighting = factories.ThemeFactory(slug="public-lighting")
    heat = factories.ThemeFactory(slug="district-energy")
    cases = {
        "bus": factories.PublishedPracticeFactory(
            slug="bus",
            title="Öffentlicher Busverkehr",
            places=[muenster],
            themes=[transport],
            language="de",
            implementation=Implementation.COMPLETED,
            start_year=2013,
            end_year=2016,
        ),
        "bikes": factories.PublishedPracticeFactory(
            slug="bikes",
            title="Bike lanes",
            places=[muenster, aachen],
            themes=[transport],
            implementation=Implementation.ONGOING,
            start_year=2015,
            end_year=None,
        ),
        "lamps": factories.PublishedPracticeFactory(
            slug="lamps",
            title="LED street lamps",
            places=[seoul],
            themes=[transport, lighting],
            language="ko",
            implementation=Implementation.PLANNED,
            start_year=None,
        ),
        "heat": factories.PublishedPracticeFactory(
            slug="heat",
            title="Heat network",
            places=[aachen],
            themes=[heat],
            implementation=Implementation.COMPLETED,
            start_year=2010,
            end_year=2012,
        ),
    }
    hidden = [
        factories.PracticeFactory(
            slug=f"hidden-{state}",
            title=f"Hidden bus {state}",
            status=state,
            places=[muenster, seoul],
            themes=[transport, lighting, heat],
            language="fr",
            start_year=2001,
        )
        for state in HIDDEN_STATES
    ]
    return cases, hidden


# --- list: data, count, facets ----------------------------------------------------------


def test_the_list_shows_published_cases_with_their_count(client, catalogue):
    response = client.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["page"].paginator.count == 4
    assert "4 cases" in html
    for title in ("Öffentlicher Busverkehr", "Bike lanes", "LED street lamps", "Heat network"):
        assert title in html
    assert "Hidden" not in html
    assert f'href="{reverse("practices:detail", args=["서울"])}"' not in html


def test_facets_count_the_cases_each_choice_leaves(client, catalogue):
    response = client.get(LIST)

    assert facet(response, "theme") == {
        "transport": (3, False),
        "public-lighting": (1, False),
        "district-energy": (1, False),
    }
    # Bike lanes has two German places and counts once.
    assert facet(response, "country") == {"DE": (3, False), "KR": (1, False)}
    assert facet(response, "place") == {
        "aachen": (2, False),
        "muenster": (2, False),
        "서울": (1, False),
    }
    assert facet(response, "language") == {"de": (1, False), "en": (2, False), "ko": (1, False)}
    assert facet(response, "implementation") == {
        "planned": (1, False),
        "ongoing": (1, False),
        "completed": (2, False),
    }
    html = response.content.decode()
    assert 'Transport <span class="facet-count">(3)</span>' in html
    assert '<option value="KR">Korea (1)</option>' in html


def test_a_facet_counts_with_every_other_filter_applied(client, catalogue):
    response = client.get(LIST, {"theme": "transport"})

    assert sorted(listed(response)) == ["bikes", "bus", "lamps"]
    # The theme facet ignores the theme filter itself: other themes stay choosable.
    assert facet(response, "theme")["transport"] == (3, True)
    assert facet(response, "theme")["district-energy"] == (1, False)
    # Every other facet counts only the transport cases.
    assert facet(response, "country") == {"DE": (2, False), "KR": (1, False)}
    assert facet(response, "implementation") == {
        "planned": (1, False),
        "ongoing": (1, False),
        "completed": (1, False),
    }
    assert response.content.decode().count(" checked>") == 1


def test_a_choice_leaving_no_case_is_hidden_unless_selected(client, catalogue):
    response = client.get(LIST, {"country": "KR", "implementation": "completed"})

    assert listed(response) == []
    assert facet(response, "implementation") == {"planned": (1, False), "completed": (0, True)}
    assert facet(response, "country")["KR"] == (0, True)
    assert "ongoing" not in facet(response, "implementation")


def test_the_year_facet_agrees_with_the_year_filter(client, catalogue):
    years = facet(client.get(LIST), "year")

    assert years["2011"] == (1, False)
    assert years["2015"] == (2, False)
    assert "2001" not in years  # only the hidden case ran then
    for year, (count, _selected) in years.items():
        assert client.get(LIST, {"year": year}).context["page"].paginator.count == count


def test_the_search_folds_accents_and_case(client, catalogue):
    for text in ("öffentlicher", "OFFENTLICHER", "Öffentlicher bus"):
        response = client.get(LIST, {"q": text})
        assert listed(response) == ["bus"], text
        assert response.context["site_search"] == text
    assert 'value="öffentlicher"' in client.get(LIST, {"q": "öffentlicher"}).content.decode()


def test_an_empty_result_says_so_and_offers_to_clear_the_filters(client, catalogue):
    response = client.get(LIST, {"q": "nothing like this"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "No case matches these filters." in html
    assert f'<a class="alert-link" href="{LIST}">Clear all filters</a>' in html


def test_the_filter_form_works_without_javascript(client, catalogue):
    html = client.get(LIST).content.decode()

    assert '<form id="filters" method="get" action="/practices/"' in html
    assert '<button class="btn btn-primary" type="submit">' in html
    for control in ("q", "country", "place", "language", "implementation", "year", "sort"):
        assert f'<label class="form-label fw-semibold" for="filter-{control}">' in html


# --- list: the page and the API filter alike ----------------------------------------------

FILTERS = [
    {"search": "bus"},
    {"q": "BUS"},
    {"theme": "transport"},
    {"theme": ["district-energy", "public-lighting"]},
    {"country": "de"},
    {"place": "muenster"},
    {"place": "서울"},
    {"language": "en"},
    {"implementation": "completed"},
    {"year": "2015"},
    {"theme": "transport", "country": "DE", "year": "2014"},
]


@pytest.mark.parametrize("params", FILTERS)
def test_the_page_filters_as_the_api_does(client, api_client, catalogue, params):
    api_params = {("search" if key == "q" else key): value for key, value in params.items()}

    page = client.get(LIST, params)
    api = api_client.get("/api/v1/practices/", api_params).json()

    assert page.status_code == 200
    assert sorted(listed(page)) == sorted(row["slug"] for row in api["results"])
    assert page.context["page"].paginator.count == api["count"]


# --- list: sort, pages, bad input -----------------------------------------------------------


def test_sorts_are_deterministic_and_list_each_case_once(client, catalogue):
    newest = listed(client.get(LIST))
    by_title = listed(client.get(LIST, {"sort": "title"}))
    by_place = listed(client.get(LIST, {"sort": "place"}))

    assert newest == ["heat", "lamps", "bikes", "bus"]
    assert by_title == ["bikes", "heat", "lamps", "bus"]
    # First place by name: Aachen (heat; bikes has Aachen and Münster), Münster, Seoul.
    assert by_place == ["bikes", "heat", "bus", "lamps"]
    assert listed(client.get(LIST, {"sort": "nonsense"})) == newest


def test_pages_hold_25_cases_and_keep_the_filters(client):
    theme = factories.ThemeFactory(slug="transport")
    factories.PublishedPracticeFactory.create_batch(30, themes=[theme])

    first = client.get(LIST, {"theme": "transport"})
    second = client.get(LIST, {"theme": "transport", "page": "2"})

    assert len(listed(first)) == 25
    assert len(listed(second)) == 5
    assert not set(listed(first)) & set(listed(second))
    assert 'href="?theme=transport&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize(
    ("page", "status"), [("0", 200), ("abc", 200), ("-1", 200), ("999999", 404)]
)
def test_a_malformed_page_is_the_first_and_one_past_the_end_is_404(client, catalogue, page, status):
    response = client.get(LIST, {"page": page})

    assert response.status_code == status
    if status == 200:
        assert len(listed(response)) == 4


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"q": "bus\x00"}, "Null characters are not allowed."),
        ({"q": "x" * 5000}, "Ensure this value has at most 200 characters"),
        ({"theme": "no-such-theme"}, "Select a valid choice."),
        ({"year": "abc"}, "Enter a whole number."),
        ({"country": "xyz"}, "Ensure this value has at most 2 characters"),
    ],
)
def test_an_invalid_filter_is_a_400_with_the_error_inline(client, catalogue, params, error):
    response = client.get(LIST, params)

    html = response.content.decode()
    assert response.status_code == 400
    assert error in html
    assert "Clear all filters" in html
    assert "Hidden" not in html


def test_a_nul_in_the_csv_search_is_a_400_too(client, catalogue):
    assert client.get(LIST, {"q": "\x00", "format": "csv"}).status_code == 400


# --- CSV ----------------------------------------------------------------------------------


def test_the_csv_holds_exactly_the_filtered_published_cases(client, catalogue):
    response = client.get(LIST, {"theme": "transport", "country": "DE", "format": "csv"})

    rows = csv_rows(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert list(rows[0]) == CSV_HEADER
    assert sorted(row["slug"] for row in rows) == ["bikes", "bus"]
    bikes = next(row for row in rows if row["slug"] == "bikes")
    assert bikes["url"] == "http://testserver/practices/bikes/"
    assert bikes["places"] == "Aachen; Münster"
    assert bikes["countries"] == "DE"
    assert bikes["themes"] == "transport"
    assert bikes["implementation"] == "ongoing"
    assert bikes["start_year"] == "2015"
    assert bikes["end_year"] == ""
    assert bikes["licence"] == "CC-BY-4.0"


def test_the_csv_of_everything_ignores_the_page_and_hides_unpublished_cases(client, catalogue):
    rows = csv_rows(client.get(LIST, {"format": "csv", "page": "7"}))

    assert sorted(row["slug"] for row in rows) == ["bikes", "bus", "heat", "lamps"]


def test_the_list_links_to_the_csv_of_its_filters(client, catalogue):
    html = client.get(LIST, {"theme": "transport", "page": "1"}).content.decode()

    assert 'href="?theme=transport&amp;format=csv"' in html


# --- unpublished cases exist nowhere ----------------------------------------------------------


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_an_unpublished_case_is_in_no_list_count_facet_csv_or_related_block(client, state):
    theme = factories.ThemeFactory(slug="transport")
    place = factories.PlaceFactory(slug="muenster", country=factories.CountryFactory(code="DE"))
    shown = factories.PublishedPracticeFactory(slug="shown", places=[place], themes=[theme])
    factories.PracticeFactory(
        slug="hidden",
        title="Hidden",
        status=state,
        places=[place],
        themes=[theme],
        language="fr",
        implementation=Implementation.DISCONTINUED,
        start_year=1999,
    )

    for params in ({}, {"q": "hidden"}, {"theme": "transport"}, {"place": "muenster"}):
        response = client.get(LIST, params)
        assert "hidden" not in listed(response)
        assert response.context["page"].paginator.count == (0 if "q" in params else 1)
    facets = client.get(LIST).context["facets"]
    assert facet(client.get(LIST), "theme") == {"transport": (1, False)}
    assert facet(client.get(LIST), "country") == {"DE": (1, False)}
    assert "fr" not in {choice.value for choice in facets["language"]}
    assert "discontinued" not in {choice.value for choice in facets["implementation"]}
    assert "1999" not in {choice.value for choice in facets["year"]}
    assert [row["slug"] for row in csv_rows(client.get(LIST, {"format": "csv"}))] == ["shown"]
    assert client.get(reverse("practices:detail", args=["hidden"])).status_code == 404
    assert list(client.get(reverse("practices:detail", args=[shown.slug])).context["related"]) == []


# --- detail -------------------------------------------------------------------------------


@pytest.fixture
def full_case():
    germany = factories.CountryFactory(code="DE", name="Germany")
    muenster = factories.PlaceFactory(name="Münster", slug="muenster", country=germany)
    source = factories.SourceFactory(
        slug="muenster-measures",
        title="Münster climate protection measures",
        licence="Apache-2.0",
        licence_url="https://www.apache.org/licenses/LICENSE-2.0",
        attribution=MUENSTER_ATTRIBUTION + ".",
    )
    practice = factories.PublishedPracticeFactory(
        slug="klima-check",
        title="Klima-Check von Ratsbeschlüssen",
        summary="Erste Zeile\nZweite Zeile <script>alert(1)</script>",
        costs="20.000 € pro Jahr",
        lessons="",
        replication="Ein Rat, der mitmacht.",
        language="de",
        start_year=2013,
        end_year=2018,
        implementation=Implementation.COMPLETED,
        places=[muenster],
        themes=[factories.ThemeFactory(slug="planning-and-policy")],
        organisations=[factories.OrganisationFactory(name="Stadt Münster")],
        source=source,
        licence="Apache-2.0",
        attribution=MUENSTER_ATTRIBUTION + ".",
        contact_name="Erika Muster",
        contact_email="erika@example.org",
    )
    factories.ImpactFactory(
        practice=practice,
        metric="Heat saved",
        value=12345.5,
        unit="MWh",
        baseline="2010",
        energy_basis="final",
        source="https://example.org/report",
    )
    factories.ProgressUpdateFactory(
        practice=practice,
        period="2017/2018",
        period_start=2017,
        assessment=Assessment.ON_TRACK,
        text="Läuft.",
    )
    factories.ProgressUpdateFactory(
        practice=practice,
        period="Plan",
        period_start=None,
        period_end=None,
        assessment=Assessment.NONE,
        text="Der Plan.",
    )
    factories.ProgressUpdateFactory(
        practice=practice,
        period="2013",
        period_start=2013,
        period_end=2013,
        assessment=Assessment.NOT_IMPLEMENTED,
        text="Noch nicht.",
    )
    factories.PracticeLinkFactory(
        practice=practice, url="https://example.org/klima", title="Klimaschutz"
    )
    factories.AttachmentFactory(practice=practice, title="Bericht", size=2_500_000)
    return practice


def test_the_detail_shows_every_section_with_content(client, full_case):
    response = client.get(reverse("practices:detail", args=[full_case.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Klima-Check von Ratsbeschlüssen</h1>" in html
    assert "<p>Erste Zeile<br>\nZweite Zeile &lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    for heading in (
        "Summary",
        "Context and problem",
        "What was done",
        "Results",
        "Costs and financing",
        "Conditions for replication",
    ):
        assert f">{heading}</h2>" in html
    assert ">Lessons learned</h2>" not in html
    assert "20.000 € pro Jahr" in html


def test_the_detail_shows_impacts_with_their_units(client, full_case):
    html = client.get(reverse("practices:detail", args=[full_case.slug])).content.decode()

    assert "<caption>" in html
    for header in (
        "Metric",
        "Unit",
        "Period",
        "Baseline",
        "Basis",
        "Energy basis",
        "Verification",
        "Source",
    ):
        assert f'<th scope="col">{header}</th>' in html
    assert '<th scope="col" class="number">Value</th>' in html
    assert "Heat saved" in html
    assert '<td class="number">12,345.5</td>' in html
    assert "<td>MWh</td>" in html
    assert "<td>per year</td>" in html
    assert "<td>Final energy</td>" in html
    assert "<td>Achieved</td>" in html
    assert "<td>Self-reported</td>" in html


def test_the_detail_lists_progress_updates_in_order_with_their_assessment(client, full_case):
    html = client.get(reverse("practices:detail", args=[full_case.slug])).content.decode()

    plan, first, last = html.index("Der Plan."), html.index("Noch nicht."), html.index("Läuft.")
    assert plan < first < last
    assert '<span class="badge text-bg-success">On track</span>' in html
    assert '<span class="badge text-bg-danger">Not implemented</span>' in html


def test_the_detail_shows_places_themes_period_source_and_licence(client, full_case):
    html = client.get(reverse("practices:detail", args=[full_case.slug])).content.decode()

    assert f'<a href="{reverse("site:place", args=["muenster"])}">Münster</a>, Germany' in html
    assert '<a href="/practices/?theme=planning-and-policy">Planning and policy</a>' in html
    assert "Stadt Münster" in html
    assert "2013–2018" in html
    assert "<dd>Completed</dd>" in html
    assert "<dd>German</dd>" in html
    link = '<a href="https://example.org/klima" rel="external nofollow noopener noreferrer">'
    assert f"{link}Klimaschutz</a>" in html
    assert "Bericht</a>" in html
    assert "2.4\xa0MB" in html
    assert MUENSTER_ATTRIBUTION in html
    assert 'rel="license external">Apache-2.0</a>' in html


def test_the_contact_shows_only_when_public(client, full_case):
    address = reverse("practices:detail", args=[full_case.slug])

    assert "erika@example.org" not in client.get(address).content.decode()
    full_case.contact_is_public = True
    full_case.save()
    assert 'href="mailto:erika@example.org"' in client.get(address).content.decode()


def test_the_detail_marks_controls_not_to_print(client, full_case):
    html = client.get(reverse("practices:detail", args=[full_case.slug])).content.decode()

    assert '<nav aria-label="breadcrumb" class="no-print">' in html
    assert 'class="small no-print"' in html


def test_related_cases_share_themes_most_shared_first_then_newest(client):
    a, b, c = (factories.ThemeFactory(slug=slug) for slug in ("transport", "adaptation", "energy"))
    factories.PublishedPracticeFactory(slug="case", themes=[a, b, c])
    factories.PublishedPracticeFactory(slug="one-oldest", themes=[a])
    factories.PublishedPracticeFactory(slug="two", themes=[a, b])
    factories.PublishedPracticeFactory(slug="one-older", themes=[c])
    factories.PublishedPracticeFactory(slug="three", themes=[a, b, c])
    for slug in ("one-old", "one-new", "one-newest"):
        factories.PublishedPracticeFactory(slug=slug, themes=[b])
    factories.PublishedPracticeFactory(slug="unrelated", themes=[factories.ThemeFactory(slug="x")])
    for state in HIDDEN_STATES:
        factories.PracticeFactory(slug=f"hidden-{state}", status=state, themes=[a, b, c])

    related = client.get(reverse("practices:detail", args=["case"])).context["related"]

    assert [(p.slug, p.shared_themes) for p in related] == [
        ("three", 3),
        ("two", 2),
        ("one-newest", 1),
        ("one-new", 1),
        ("one-old", 1),
    ]


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_an_unpublished_case_has_no_detail(client, state):
    hidden = factories.PracticeFactory(status=state)

    assert client.get(reverse("practices:detail", args=[hidden.slug])).status_code == 404


def test_unicode_slugs_work(client):
    practice = factories.PublishedPracticeFactory(slug="서울-태양광", title="서울 태양광")

    address = reverse("practices:detail", args=[practice.slug])
    response = client.get(address)

    assert response.status_code == 200
    assert "서울 태양광" in response.content.decode()
    assert f'href="{address}"' in client.get(LIST).content.decode()
    quoted = "/practices/%EC%84%9C%EC%9A%B8-%ED%83%9C%EC%96%91%EA%B4%91/"
    assert client.get(quoted).status_code == 200


# --- query counts -----------------------------------------------------------------------------


def _cases(n: int) -> None:
    themes = [factories.ThemeFactory(slug="transport"), factories.ThemeFactory(slug="adaptation")]
    country = factories.CountryFactory(code="DE")
    for index in range(n):
        places = factories.PlaceFactory.create_batch(2, country=country)
        factories.PublishedPracticeFactory(
            places=places,
            themes=themes,
            start_year=2010 + index % 5,
            organisations=[factories.OrganisationFactory()],
        )
        factories.PracticeFactory(places=places, themes=themes)


# One to count, one for the rows, two prefetches (places, themes), six facets; one more
# to check the selected theme exists.
LIST_QUERIES = 10
LIST_QUERIES_WITH_THEME = 11
DETAIL_QUERIES = 11  # the case, nine prefetched relations, the related cases
CSV_QUERIES = 4  # the cases with their source, three prefetched relations


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_needs_a_fixed_number_of_queries(client, django_assert_num_queries, n):
    _cases(n)

    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(LIST, {"sort": "place"}).status_code == 200
    with django_assert_num_queries(LIST_QUERIES_WITH_THEME):
        response = client.get(LIST, {"theme": "transport", "country": "DE", "year": "2012"})
    assert response.status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_the_csv_and_detail_need_a_fixed_number_of_queries(client, django_assert_num_queries, n):
    _cases(n)
    slug = client.get(LIST).context["page"].object_list[0].slug

    with django_assert_num_queries(CSV_QUERIES):
        assert len(csv_rows(client.get(LIST, {"format": "csv"}))) == n
    with django_assert_num_queries(DETAIL_QUERIES):
        assert client.get(reverse("practices:detail", args=[slug])).status_code == 200
