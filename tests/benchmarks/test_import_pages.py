"""The import pages and POST /api/v1/measurements/import/: who may use them, the dry run
shown row by row, the commit, the history, and the limits."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from benchmarks import imports
from benchmarks.models import ImportBatch, ImportStatus, Measurement
from tests import factories
from tests.benchmarks.test_imports import HEADER, importer, xlsx_bytes
from tests.roles import submitter

pytestmark = pytest.mark.django_db

UPLOAD = reverse("imports:upload")
HISTORY = reverse("imports:history")
API = "/api/v1/measurements/import/"

GOOD_ROW = "gb-gss,E08000003,gb-co2-total,{year},{value},kt CO2,uk-emissions"
BAD_ROW = "gb-gss,E08000003,gb-co2-total,{year},{value},MWh,uk-emissions"


@pytest.fixture
def world():
    gb = factories.CountryFactory(code="GB", name="United Kingdom")
    manchester = factories.PlaceFactory(name="Manchester", slug="manchester", country=gb)
    factories.PlaceIdentifierFactory(place=manchester, scheme="gb-gss", value="E08000003")
    factories.IndicatorFactory(code="gb-co2-total", unit="kt CO2", quantity_kind="emissions")
    factories.SourceFactory(slug="uk-emissions")
    return manchester


@pytest.fixture
def curator():
    """A member of the Curators group, which the data migration gives the permission."""
    user = get_user_model().objects.create(username="curator", email="curator@example.org")
    user.groups.add(Group.objects.get(name="Curators"))
    return user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def upload_of(*rows: str, name: str = "values.csv") -> SimpleUploadedFile:
    text = HEADER + "\n" + "\n".join(rows) + "\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def good_rows(count: int, first_year: int = 1950) -> list[str]:
    return [GOOD_ROW.format(year=first_year + n, value=n + 1) for n in range(count)]


def batch_url(batch: ImportBatch, name: str = "imports:batch") -> str:
    return reverse(name, kwargs={"pk": batch.pk})


# Who may use the pages ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, world, curator):
    batch = imports.prepare(upload_of(*good_rows(1)), curator)
    for url in (UPLOAD, HISTORY, batch_url(batch)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert client.post(batch_url(batch, "imports:commit")).status_code == 302
    assert client.post(UPLOAD, {"file": upload_of(*good_rows(1))}).status_code == 302
    assert ImportBatch.objects.count() == 1


def test_a_submitter_is_refused(client, world, curator):
    batch = imports.prepare(upload_of(*good_rows(1)), curator)
    client.force_login(submitter())
    for url in (UPLOAD, HISTORY, batch_url(batch)):
        assert client.get(url).status_code == 403
    assert client.post(batch_url(batch, "imports:commit")).status_code == 403
    assert client.post(UPLOAD, {"file": upload_of(*good_rows(1))}).status_code == 403
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("who", ["curator", "superuser", "holder"])
def test_curators_superusers_and_holders_of_the_permission_may(client, world, curator, who):
    users = {
        "curator": curator,
        "superuser": get_user_model().objects.create(username="root", is_superuser=True),
        "holder": importer(),
    }
    client.force_login(users[who])

    response = client.get(UPLOAD)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html
    assert 'accept=".csv,.xlsx' in html
    assert "5.0\xa0MB" in html  # the limit, stated
    assert "place_scheme" in html


# The dry run and the commit -------------------------------------------------------------------


def test_an_upload_shows_its_dry_run_with_refused_rows_first(curator_client, world):
    file = upload_of(GOOD_ROW.format(year=2020, value=1), BAD_ROW.format(year=2021, value=2))

    response = curator_client.post(UPLOAD, {"file": file})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == batch_url(batch)
    page = curator_client.get(batch_url(batch))
    rows = page.context["page"].object_list
    assert [(row["row"], row["outcome"]) for row in rows] == [(3, "refused"), (2, "create")]
    html = page.content.decode()
    assert "Cannot convert MWh into kt CO2" in html
    assert "Commit this import" not in html
    assert not Measurement.objects.exists()


def test_a_converted_value_is_shown_without_a_float_s_binary_tail(curator_client, world):
    row = "gb-gss,E08000003,gb-co2-total,2020,5972.4441163892985,t CO2,uk-emissions"
    curator_client.post(UPLOAD, {"file": upload_of(row)})

    page = curator_client.get(batch_url(ImportBatch.objects.get()))

    html = page.content.decode()
    assert "5972.4441163892985 t CO2 → 5.9724441 kt CO2" in html
    assert "5.97244411638" not in html


def test_rows_can_be_filtered_by_outcome(curator_client, world):
    file = upload_of(GOOD_ROW.format(year=2020, value=1), BAD_ROW.format(year=2021, value=2))
    curator_client.post(UPLOAD, {"file": file})
    batch = ImportBatch.objects.get()

    refused = curator_client.get(batch_url(batch), {"outcome": "refused"})
    created = curator_client.get(batch_url(batch), {"outcome": "create"})
    nonsense = curator_client.get(batch_url(batch), {"outcome": "<script>", "page": "x"})

    assert [row["row"] for row in refused.context["page"].object_list] == [3]
    assert [row["row"] for row in created.context["page"].object_list] == [2]
    assert len(nonsense.context["page"].object_list) == 2


def test_a_dry_run_is_committed_once_however_often_it_is_clicked(curator_client, world):
    curator_client.post(UPLOAD, {"file": upload_of(*good_rows(2))})
    batch = ImportBatch.objects.get()
    page = curator_client.get(batch_url(batch)).content.decode()
    assert "Commit this import" in page

    first = curator_client.post(batch_url(batch, "imports:commit"), follow=True)
    second = curator_client.post(batch_url(batch, "imports:commit"), follow=True)

    assert "Imported: 2 created" in first.content.decode()
    assert "already imported" in second.content.decode()
    assert Measurement.objects.count() == 2
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    assert "Commit this import" not in second.content.decode()


def test_a_commit_after_the_data_changed_says_so(curator_client, world):
    curator_client.post(UPLOAD, {"file": upload_of(*good_rows(1))})
    batch = ImportBatch.objects.get()
    factories.MeasurementFactory(
        place=world,
        indicator=factories.IndicatorFactory(code="gb-co2-total"),
        source=factories.SourceFactory(slug="uk-emissions"),
        year=1950,
        unit="kt CO2",
    )

    response = curator_client.post(batch_url(batch, "imports:commit"), follow=True)

    assert "changed since the dry run" in response.content.decode()
    assert Measurement.objects.count() == 1
    # The page shows the dry run done again, on the data as they are now: the row that
    # was to be created now updates the value stored in between.
    rows = response.context["page"].object_list
    assert [row["outcome"] for row in rows] == ["update"]
    again = curator_client.post(batch_url(batch, "imports:commit"), follow=True)
    assert "Imported: 0 created, 1 updated" in again.content.decode()
    assert Measurement.objects.get().value == 1


def test_commit_answers_post_only_and_404_for_unknown_batches(curator_client, world):
    assert curator_client.get(reverse("imports:commit", kwargs={"pk": 999})).status_code == 405
    assert curator_client.post(reverse("imports:commit", kwargs={"pk": 999})).status_code == 404
    assert curator_client.get(reverse("imports:batch", kwargs={"pk": 999})).status_code == 404


def test_an_unreadable_file_is_a_form_error(curator_client, world):
    bad = SimpleUploadedFile("values.csv", b"a;b,c\n")
    empty = curator_client.post(UPLOAD, {})
    response = curator_client.post(UPLOAD, {"file": bad})

    assert empty.status_code == 400
    assert response.status_code == 400
    assert "both “,” and “;”" in response.content.decode()
    assert ImportBatch.objects.get().status == ImportStatus.REFUSED


def test_an_oversized_file_is_refused_with_413(curator_client, world, settings):
    settings.IMPORT_MAX_BYTES = 1000
    just_over = SimpleUploadedFile("big.csv", b"x" * 1001)
    far_over = SimpleUploadedFile("huge.csv", b"x" * 200_000)

    response = curator_client.post(UPLOAD, {"file": just_over})
    early = curator_client.post(UPLOAD, {"file": far_over})

    assert response.status_code == 413
    assert "at most 1000 are accepted" in response.content.decode()
    # Refused on its declared size, before the form was parsed: no batch recorded.
    assert early.status_code == 413
    assert ImportBatch.objects.count() == 1


def test_the_upload_form_keeps_its_csrf_check(world, curator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)

    response = client.post(UPLOAD, {"file": upload_of(*good_rows(1))}, format="multipart")

    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_history_lists_every_import_with_a_link_to_its_changes(curator_client, world, curator):
    committed = imports.commit_batch(imports.prepare(upload_of(*good_rows(1)), curator).pk, curator)
    refused = imports.prepare(upload_of(BAD_ROW.format(year=2000, value=1)), curator)

    response = curator_client.get(HISTORY)
    only_committed = curator_client.get(HISTORY, {"status": "committed"})

    assert [batch.pk for batch in response.context["page"].object_list] == [
        refused.pk,
        committed.pk,
    ]
    assert batch_url(committed) in response.content.decode()
    assert [batch.pk for batch in only_committed.context["page"].object_list] == [committed.pk]


def test_a_committed_import_shows_old_and_new_values(curator_client, world, curator):
    imports.commit_batch(
        imports.prepare(upload_of(GOOD_ROW.format(year=2000, value=1)), curator).pk, curator
    )
    batch = imports.commit_batch(
        imports.prepare(upload_of(GOOD_ROW.format(year=2000, value=2)), curator).pk, curator
    )

    html = curator_client.get(batch_url(batch)).content.decode()

    assert "What the import did" in html
    assert "<del>1.0</del>" in html
    assert "<ins>2.0</ins>" in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_page_query_counts_do_not_grow_with_rows_or_imports(curator_client, world, curator):
    small = imports.prepare(upload_of(*good_rows(3)), curator)
    large = imports.prepare(upload_of(*good_rows(30, first_year=1990)), curator)
    history_of_two = _queries(curator_client, HISTORY)
    for _n in range(28):
        imports.prepare(upload_of(*good_rows(1)), curator)

    assert _queries(curator_client, batch_url(small)) == _queries(curator_client, batch_url(large))
    assert _queries(curator_client, HISTORY) == history_of_two


# The API ----------------------------------------------------------------------------------------


@pytest.fixture
def api_curator(curator):
    client = APIClient()
    client.force_login(curator)
    return client


def test_the_api_refuses_anonymous_callers_and_submitters(world):
    anonymous = APIClient().post(API, {"file": upload_of(*good_rows(1))}, format="multipart")
    client = APIClient()
    client.force_login(submitter())
    signed_in = client.post(API, {"file": upload_of(*good_rows(1))}, format="multipart")

    assert anonymous.status_code == 403
    assert signed_in.status_code == 403
    assert not ImportBatch.objects.exists()


def test_the_api_dry_run_answers_the_plan(api_curator, world):
    response = api_curator.post(API, {"file": upload_of(*good_rows(2))}, format="multipart")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "dry_run"
    assert body["totals"] == {"rows": 2, "create": 2, "update": 0, "unchanged": 0, "refused": 0}
    assert body["rows"][0]["place_slug"] == "manchester"
    assert body["rows"][0]["value_canonical"] == 1.0
    assert not Measurement.objects.exists()


def test_the_api_commits_when_asked(api_curator, world):
    response = api_curator.post(
        API, {"file": upload_of(*good_rows(2)), "dry_run": "false"}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["status"] == "committed"
    assert Measurement.objects.count() == 2
    assert ImportBatch.objects.get().status == ImportStatus.COMMITTED


def test_the_api_reads_xlsx_files_too(api_curator, world):
    content = xlsx_bytes(
        [
            ["Place_ID", "Indicator", "Year", "Value", "Unit", "Source"],
            ["gb-gss/E08000003", "gb-co2-total", 2021, 1234.5, "t CO2", "uk-emissions"],
        ]
    )
    file = SimpleUploadedFile("values.xlsx", content)

    response = api_curator.post(API, {"file": file, "dry_run": "false"}, format="multipart")

    assert response.status_code == 201, response.json()
    assert Measurement.objects.get().value_canonical == pytest.approx(1.2345)


def test_the_api_answers_400_with_the_refused_rows(api_curator, world):
    file = upload_of(GOOD_ROW.format(year=2000, value=1), BAD_ROW.format(year=2001, value=1))

    response = api_curator.post(API, {"file": file, "dry_run": "false"}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert body["totals"]["refused"] == 1
    assert [row["row"] for row in body["rows"]] == [3]
    assert "Cannot convert MWh into kt CO2" in body["rows"][0]["reasons"][0]
    assert not Measurement.objects.exists()


def test_the_api_answers_400_for_missing_or_unreadable_files(api_curator, world):
    missing = api_curator.post(API, {"dry_run": "true"}, format="multipart")
    unreadable = api_curator.post(
        API, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00")}, format="multipart"
    )
    not_a_flag = api_curator.post(
        API, {"file": upload_of(*good_rows(1)), "dry_run": "perhaps"}, format="multipart"
    )

    assert missing.status_code == 400
    assert "file" in missing.json()
    assert unreadable.status_code == 400
    assert "NUL bytes" in unreadable.json()["file"][0]
    assert not_a_flag.status_code == 400


def test_the_api_answers_413_over_the_size_limit(api_curator, world, settings):
    settings.IMPORT_MAX_BYTES = 1000

    just_over = api_curator.post(
        API, {"file": SimpleUploadedFile("big.csv", b"x" * 1001)}, format="multipart"
    )
    far_over = api_curator.post(
        API, {"file": SimpleUploadedFile("huge.csv", b"x" * 200_000)}, format="multipart"
    )

    assert just_over.status_code == 413
    assert far_over.status_code == 413
    assert ImportBatch.objects.count() == 1


def test_the_api_checks_the_csrf_token_of_a_session(world, curator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)

    response = client.post(API, {"file": upload_of(*good_rows(1))}, format="multipart")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_schema_describes_the_import(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/v1/measurements/import/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "201", "400", "403", "409", "413"} <= set(operation["responses"])


def test_an_old_dry_run_expires_and_asks_for_the_file_again(curator_client, world):
    curator_client.post(UPLOAD, {"file": upload_of(*good_rows(2))})
    fresh = ImportBatch.objects.get()
    curator_client.post(UPLOAD, {"file": upload_of(*good_rows(1))})
    old = ImportBatch.objects.exclude(pk=fresh.pk).get()
    ImportBatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))
    out = StringIO()

    call_command("expire_import_dry_runs", "--days", "14", stdout=out)

    assert "1 dry runs older than 14 days expired" in out.getvalue()
    old.refresh_from_db()
    assert (old.status, bytes(old.content), old.row_count) == (ImportStatus.EXPIRED, b"", 1)
    assert ImportBatch.objects.get(pk=fresh.pk).status == ImportStatus.DRY_RUN
    page = curator_client.get(batch_url(old)).content.decode()
    assert "Commit this import" not in page
    assert "its file was dropped" in page
    response = curator_client.post(batch_url(old, "imports:commit"), follow=True)
    assert "upload the file again" in response.content.decode()
    assert not Measurement.objects.exists()


def test_expiring_refuses_a_negative_age():
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("expire_import_dry_runs", "--days", "-1")
