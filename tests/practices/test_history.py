"""Every version of a case kept whole (one record per save, with its links), bulk writes
with history, and the curators' comparison of any two versions on the review page."""

import pytest
from django.urls import reverse

from cset.reference.models import Place
from practices import services
from practices.choices import CostKind, FinancingKind, Implementation, Status
from practices.models import BestPractice, Cost, Financing, Impact, PracticeLink
from practices.review_views import _text_diff
from tests import factories
from tests.loaders import test_muenster as muenster_load
from tests.roles import curator, submitter

pytestmark = pytest.mark.django_db

# The Münster loader's fixtures: the excerpt in a data folder, its source, and Münster.
data_dir = muenster_load.data_dir
sources = muenster_load.sources
muenster = muenster_load.muenster


@pytest.fixture
def owner():
    return submitter("owner")


@pytest.fixture
def reviewer():
    return curator("curator")


@pytest.fixture
def curator_client(client, reviewer):
    client.force_login(reviewer)
    return client


def linked(record, name: str) -> set[int]:
    """The ids a history record's snapshot holds for the relation ``name``."""
    target = {"places": "place_id", "themes": "theme_id", "organisations": "organisation_id"}
    return {getattr(row, target[name]) for row in getattr(record, name).all()}


def oldest_first(practice) -> list:
    return list(practice.history.order_by("history_date", "history_id"))


# One save, one version --------------------------------------------------------------------


def test_a_create_with_places_and_a_theme_is_one_record_holding_them(owner):
    places = [factories.PlaceFactory(), factories.PlaceFactory()]
    theme = factories.ThemeFactory()
    organisation = factories.OrganisationFactory()

    practice, created = services.create_practice(
        {"title": "Heat", "places": places, "themes": [theme], "organisations": [organisation]},
        actor=owner,
    )

    assert created
    record = practice.history.get()
    assert (record.history_type, record.history_change_reason) == ("+", "create")
    assert record.history_user == owner
    assert (record.title, record.version, record.status) == ("Heat", 1, Status.DRAFT)
    assert linked(record, "places") == {place.pk for place in places}
    assert linked(record, "themes") == {theme.pk}
    assert linked(record, "organisations") == {organisation.pk}


def test_a_create_without_links_is_one_record_too(owner):
    practice, _ = services.create_practice({"title": "Bare"}, actor=owner)
    record = practice.history.get()
    assert record.history_type == "+"
    assert not linked(record, "places")


def test_a_repeated_submission_key_writes_no_second_record(owner):
    key = "6f1c1f7e-5a9e-4b53-9f3a-0c3d5b1a2e40"
    first, _ = services.create_practice({"title": "Once"}, actor=owner, submission_key=key)
    again, created = services.create_practice({"title": "Once"}, actor=owner, submission_key=key)
    assert (again.pk, created) == (first.pk, False)
    assert first.history.count() == 1


def test_an_edit_changing_places_is_exactly_one_more_record(owner, reviewer):
    old_place, new_place = factories.PlaceFactory(), factories.PlaceFactory()
    practice, _ = services.create_practice({"title": "Moving", "places": [old_place]}, actor=owner)

    services.save_practice(
        practice,
        {"summary": "Now elsewhere.", "places": [new_place], "themes": []},
        actor=reviewer,
        expected_version=1,
    )

    created, edited = oldest_first(practice)
    assert (edited.history_type, edited.history_change_reason) == ("~", "edit")
    assert (edited.version, edited.summary, edited.history_user) == (2, "Now elsewhere.", reviewer)
    assert linked(edited, "places") == {new_place.pk}
    # The first record still holds the places of its own moment.
    assert linked(created, "places") == {old_place.pk}


def test_an_edit_of_text_only_keeps_the_links_in_its_record(owner):
    place = factories.PlaceFactory()
    practice, _ = services.create_practice({"title": "Text", "places": [place]}, actor=owner)
    services.save_practice(practice, {"summary": "More."}, actor=owner, expected_version=1)
    assert practice.history.count() == 2
    assert linked(oldest_first(practice)[-1], "places") == {place.pk}


def test_a_stale_or_refused_edit_writes_no_record(owner, reviewer):
    practice, _ = services.create_practice({"title": "Guarded"}, actor=owner)
    with pytest.raises(services.StaleVersion):
        services.save_practice(practice, {"summary": "x"}, actor=owner, expected_version=7)
    with pytest.raises(services.ValidationError):
        services.save_practice(practice, {"summary": "\x00"}, actor=owner, expected_version=1)
    assert practice.history.count() == 1


def test_each_transition_is_one_record_with_the_links(owner, reviewer):
    place = factories.PlaceFactory()
    practice, _ = services.create_practice({"title": "Steps", "places": [place]}, actor=owner)
    services.submit_practice(practice, actor=owner)
    services.start_review(practice, actor=reviewer)
    records = oldest_first(practice)
    assert [record.history_change_reason for record in records] == [
        "create",
        "submit",
        "start-review",
    ]
    assert all(linked(record, "places") == {place.pk} for record in records)


def test_record_versions_writes_many_cases_in_a_fixed_number_of_queries(
    owner, django_assert_num_queries
):
    theme = factories.ThemeFactory()
    cases = [factories.PracticeFactory(themes=[theme]) for _ in range(25)]
    before = {practice.pk: practice.history.count() for practice in cases}

    # The records, one read of the three link tables, and the theme snapshots.
    with django_assert_num_queries(3):
        services.record_versions(cases, created=False, reason="import", user=owner)

    for practice in cases:
        assert practice.history.count() == before[practice.pk] + 1
        latest = practice.history.latest("history_date")
        assert (latest.history_change_reason, latest.history_user) == ("import", owner)
        assert linked(latest, "themes") == {theme.pk}


# Bulk writes ------------------------------------------------------------------------------


def test_the_muenster_load_keeps_one_whole_version_of_each_case(data_dir, sources, muenster):
    muenster_load.load(data_dir, sources)

    for practice in BestPractice.objects.prefetch_related("themes"):
        record = practice.history.get()
        assert (record.history_type, record.history_change_reason) == ("+", "import")
        assert linked(record, "places") == {muenster.pk}
        assert linked(record, "themes") == {theme.pk for theme in practice.themes.all()}
        assert linked(record, "themes")


def test_a_muenster_rerun_records_only_what_changed(data_dir, sources, muenster):
    muenster_load.load(data_dir, sources)
    muenster_load.load(data_dir, sources)
    assert all(practice.history.count() == 1 for practice in BestPractice.objects.all())

    muenster_load.edit(data_dir / muenster_load.MEASURES_FILE, "#AE1B1B,Ü2,", "#01873B,Ü2,")
    muenster_load.load(data_dir, sources)

    changed = BestPractice.objects.get(source_key="Ü2")
    latest = changed.history.latest("history_date")
    assert changed.history.count() == 2
    assert (latest.history_type, latest.implementation) == ("~", Implementation.COMPLETED)
    assert linked(latest, "places") == {muenster.pk}
    others = BestPractice.objects.exclude(pk=changed.pk)
    assert all(practice.history.count() == 1 for practice in others)


def test_a_muenster_rerun_that_only_changes_links_keeps_a_version(data_dir, sources, muenster):
    muenster_load.load(data_dir, sources)
    practice = BestPractice.objects.get(source_key="Ü1")
    # A link lost outside the loader: the rerun restores it, and that is a version too.
    practice.themes.through.objects.filter(bestpractice_id=practice.pk).delete()

    muenster_load.load(data_dir, sources)

    latest = practice.history.latest("history_date")
    assert practice.history.count() == 2
    assert linked(latest, "themes") == set(practice.themes.values_list("pk", flat=True))


# Comparing two versions -------------------------------------------------------------------


def review_url(practice) -> str:
    return reverse("review:practice", kwargs={"slug": practice.slug})


def compare(client, practice, old, new):
    response = client.get(review_url(practice), {"from": old.history_id, "to": new.history_id})
    assert response.status_code == 200
    return response


@pytest.fixture
def two_versions(owner, reviewer):
    """A case created with rows saved after it (as the form does), then edited by a curator
    whose save changed the text, the links and the rows."""
    kept, dropped, joined = (factories.PlaceFactory(name=name) for name in ("Kept", "Gone", "New"))
    theme = factories.ThemeFactory(name="Lighting")
    practice, _ = services.create_practice(
        {
            "title": "Street lights",
            "summary": "First line.\nSecond line stays.\nThird line.",
            "places": [kept, dropped],
        },
        actor=owner,
    )
    impact = factories.ImpactFactory(practice=practice, metric="Electricity saved", value=100)
    link = PracticeLink.objects.create(practice=practice, url="https://old.example.org/")

    services.save_practice(
        practice,
        {
            "summary": "First line, changed.\nSecond line stays.\nThird line.",
            "contact_is_public": True,
            "places": [kept, joined],
            "themes": [theme],
        },
        actor=reviewer,
        expected_version=1,
    )
    impact.value = 250
    impact.save()
    link.delete()
    Cost.objects.create(
        practice=practice, kind=CostKind.INVESTMENT, amount=5000, currency="EUR", price_year=2021
    )
    Financing.objects.create(practice=practice, kind=FinancingKind.LOAN, funder="Green bank")
    return practice


def test_a_comparison_shows_fields_links_and_rows(curator_client, two_versions):
    old, new = oldest_first(two_versions)

    comparison = compare(curator_client, two_versions, old, new).context["comparison"]

    changes = {change["field"]: change for change in comparison["changes"]}
    assert set(changes) == {"summary", "version", "show the contact publicly"}
    assert (changes["version"]["old"], changes["version"]["new"]) == (1, 2)
    assert (changes["show the contact publicly"]["new"]) == "yes"
    kinds = [line["kind"] for line in changes["summary"]["lines"]]
    assert kinds == ["changed", "same", "same"]
    assert changes["summary"]["lines"][0]["segments"] == [
        ("", "First line"),
        ("ins", ", changed"),
        ("", "."),
    ]

    links = {group["heading"]: group for group in comparison["links"]}
    countries = {place.name: place.country.name for place in Place.objects.all()}
    assert links["Places"]["added"] == [f"New, {countries['New']}"]
    assert links["Places"]["removed"] == [f"Gone, {countries['Gone']}"]
    assert links["Themes"]["added"] == ["Lighting"]
    assert "Organisations" not in links

    rows = {group["heading"]: group for group in comparison["rows"]}
    assert rows["Costs"]["added"] == ["5000.00 EUR (2021)"]
    assert rows["Financing"]["added"] == ["Green bank"]
    assert rows["Links"]["removed"] == ["https://old.example.org/"]
    (changed,) = rows["Impacts"]["changed"]
    assert changed["changes"] == [{"field": "value", "old": 100.0, "new": 250.0}]


def test_the_comparison_page_marks_changes_escaped(curator_client, owner, reviewer):
    practice, _ = services.create_practice(
        {"title": "Escape", "summary": "Plain.", "contact_name": "A"}, actor=owner
    )
    services.save_practice(
        practice,
        {"summary": "Plain. <script>alert(1)</script>", "contact_name": "<b>B</b>"},
        actor=reviewer,
        expected_version=1,
    )
    old, new = oldest_first(practice)

    content = compare(curator_client, practice, old, new).content.decode()

    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in content
    assert "<ins>&lt;b&gt;B&lt;/b&gt;</ins>" in content
    assert "<del>A</del>" in content


def test_versions_chosen_newest_first_are_compared_oldest_first(curator_client, two_versions):
    old, new = oldest_first(two_versions)

    forward = compare(curator_client, two_versions, old, new).context["comparison"]
    backward = compare(curator_client, two_versions, new, old).context["comparison"]

    assert (forward["swapped"], backward["swapped"]) == (False, True)
    assert (backward["old"], backward["new"]) == (old, new)
    for key in ("changes", "links", "rows"):
        assert backward[key] == forward[key]
    content = compare(curator_client, two_versions, new, old).content.decode()
    assert "The older of the two chosen versions is shown first." in content


def test_a_version_compared_with_itself_does_not_differ(curator_client, two_versions):
    version = two_versions.history.first()
    content = compare(curator_client, two_versions, version, version).content.decode()
    assert "The two versions do not differ." in content


def test_rows_follow_the_version_they_were_saved_with(curator_client, two_versions, reviewer):
    # A third version that changes nothing in the rows: they stay as the second left them.
    services.submit_practice(two_versions, actor=reviewer)
    _, second, third = oldest_first(two_versions)

    comparison = compare(curator_client, two_versions, second, third).context["comparison"]

    assert comparison["rows"] == []
    assert comparison["links"] == []
    assert {change["field"] for change in comparison["changes"]} == {"status"}


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "",
        " ",
        "-1",
        "0",
        "1.5",
        "NaN",
        "inf",
        "9" * 30,
        "9" * 5000,
        "\x00",
        "１２",
        "٣",
        "😀",
    ],
    ids=lambda value: repr(value)[:20],
)
def test_nasty_version_ids_get_the_clear_message(curator_client, two_versions, value):
    good = two_versions.history.first().history_id
    for params in ({"from": value, "to": good}, {"from": good, "to": value}, {"to": value}):
        response = curator_client.get(review_url(two_versions), params)
        assert response.status_code == 200
        assert "Choose two versions of this case to compare." in response.content.decode()


def test_a_version_of_another_case_is_never_compared(curator_client, two_versions, owner):
    other, _ = services.create_practice({"title": "Other"}, actor=owner)
    theirs = other.history.get().history_id
    mine = two_versions.history.first().history_id
    response = curator_client.get(review_url(two_versions), {"from": theirs, "to": mine})
    assert "Choose two versions of this case to compare." in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_review_page_needs_the_same_queries_for_3_or_30_versions(
    curator_client, owner, reviewer, django_assert_num_queries, count
):
    places = [factories.PlaceFactory() for _ in range(3)]
    practice, _ = services.create_practice({"title": "Busy", "places": places}, actor=owner)
    factories.ImpactFactory(practice=practice)
    for number in range(1, count):
        services.save_practice(
            practice,
            {"summary": f"Version {number}.\nSame line.", "places": places[: 1 + number % 3]},
            actor=reviewer,
            expected_version=number,
        )
        Cost.objects.create(
            practice=practice,
            kind=CostKind.OPERATING,
            amount=number,
            currency="EUR",
            price_year=2020,
        )
    versions = oldest_first(practice)
    assert len(versions) == count

    # Session, user, two of permissions; the case with its places, themes, organisations,
    # impacts, costs, financing and links (8); the versions; the three snapshots of links;
    # the history of the four kinds of rows; the place proposals; the conversation.
    with django_assert_num_queries(22):
        response = curator_client.get(
            review_url(practice), {"from": versions[0].history_id, "to": versions[-1].history_id}
        )
    assert len(response.context["versions"]) == count
    rows = {group["heading"]: group for group in response.context["comparison"]["rows"]}
    assert len(rows["Costs"]["added"]) == count - 1


def test_the_review_page_shows_costs_financing_and_links(curator_client, owner):
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.SUBMITTED)
    Cost.objects.create(
        practice=practice,
        kind=CostKind.INVESTMENT,
        item="LED lamps",
        amount=12345.5,
        currency="KRW",
        price_year=2022,
    )
    Financing.objects.create(practice=practice, kind=FinancingKind.OWN_BUDGET, funder="Town")
    PracticeLink.objects.create(practice=practice, url="https://example.org/a", title="<Report>")

    content = curator_client.get(review_url(practice)).content.decode()

    for text in ("LED lamps", "12,345.50 KRW", "2022", "Town", "&lt;Report&gt;"):
        assert text in content
    assert 'href="https://example.org/a" rel="nofollow noopener noreferrer"' in content


# The line diff of long texts --------------------------------------------------------------


def test_unchanged_lines_far_from_a_change_are_left_out():
    old = "\n".join(f"Line {number}." for number in range(20))
    new = old.replace("Line 10.", "Line ten.")

    lines = _text_diff(old, new)

    kinds = [line["kind"] for line in lines]
    assert kinds == ["gap", "same", "same", "changed", "same", "same", "gap"]
    assert lines[3]["segments"] == [("", "Line "), ("del", "10"), ("ins", "ten"), ("", ".")]


def test_a_rewritten_line_is_removed_and_added_whole():
    lines = _text_diff("Alpha beta gamma.", "Something else entirely now.")
    assert [(line["kind"], line["segments"]) for line in lines] == [
        ("del", [("del", "Alpha beta gamma.")]),
        ("ins", [("ins", "Something else entirely now.")]),
    ]


def test_text_added_to_an_empty_field_and_many_scripts():
    text = "서울 에너지 😀\nУлаанбаатар\nአዲስ አበባ"
    lines = _text_diff("", text)
    assert [line["segments"] for line in lines] == [[("ins", part)] for part in text.split("\n")]
    assert _text_diff(text, "")[0] == {"kind": "del", "segments": [("del", "서울 에너지 😀")]}


def test_a_long_paragraph_gets_its_words_marked_and_a_blob_is_replaced_whole():
    words = [f"word{number}" for number in range(3000)]
    old = " ".join(words)
    new = " ".join(words[:1500] + ["inserted"] + words[1500:])

    (line,) = _text_diff(old, new)

    assert line["kind"] == "changed"
    assert [piece for piece in line["segments"] if piece[0]] == [("ins", "inserted ")]
    assert [line["kind"] for line in _text_diff("x" * 10_000, "y" * 10_000)] == ["del", "ins"]


def test_impacts_deleted_and_added_again_are_two_rows(curator_client, owner, reviewer):
    practice, _ = services.create_practice({"title": "Rows"}, actor=owner)
    first = factories.ImpactFactory(practice=practice, metric="Old metric")
    services.save_practice(practice, {"summary": "v2"}, actor=reviewer, expected_version=1)
    first.delete()
    Impact.objects.create(
        practice=practice, metric="New metric", value=1, unit="MWh", basis="estimated"
    )
    old, new = oldest_first(practice)

    rows = compare(curator_client, practice, old, new).context["comparison"]["rows"]

    (impacts,) = rows
    assert impacts["removed"] == ["Old metric: 1200.0 MWh"]
    assert impacts["added"] == ["New metric: 1.0 MWh"]
    assert impacts["changed"] == []
