"""Attachments: only PDF and raster pictures, recognised from their bytes, size-limited,
stored under a generated name, and downloaded only by those who may read the case."""

import io
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from practices import attachments
from practices.choices import Status
from practices.models import Attachment, BestPractice
from tests import factories
from tests.practices.test_submit_pages import case_data, edit_data
from tests.roles import curator, submitter

pytestmark = pytest.mark.django_db

NEW = reverse("submit:new")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
TEXT = b"Just some notes, not a PDF at all.\n"


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def download_url(attachment: Attachment) -> str:
    return reverse("practices:attachment", args=[attachment.practice.slug, attachment.pk])


@pytest.fixture
def owner():
    return submitter("owner")


@pytest.fixture
def client_of(owner):
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def draft(owner):
    return factories.PracticeFactory(submitted_by=owner, title="Solar roofs")


def edit(client, practice: BestPractice, **changes):
    url = reverse("submit:edit", args=[practice.slug])
    return client.post(url, edit_data(practice, **changes))


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PDF, attachments.PDF),
        (PNG, attachments.PNG),
        (JPEG, attachments.JPEG),
        (GIF, attachments.GIF),
        (b"GIF87a" + b"\x00" * 10, attachments.GIF),
        (WEBP, attachments.WEBP),
        (SVG, None),
        (HTML, None),
        (TEXT, None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_the_kind_comes_from_the_first_bytes(head, kind):
    assert attachments.detect_kind(head[: attachments.HEAD_BYTES]) == kind


def test_a_pdf_sent_with_a_new_case_is_stored_and_downloadable(client_of, owner):
    data = case_data(**{"attachment-file": upload("Annual report.pdf", PDF, "text/html")})
    response = client_of.post(NEW, data)

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.practice == BestPractice.objects.get(submitted_by=owner)
    assert (attachment.title, attachment.content_type) == ("Annual report.pdf", "application/pdf")
    assert attachment.size == len(PDF)
    # A generated name: never the user's.
    name = Path(attachment.file.name).name
    assert name.endswith(".pdf") and "Annual" not in name and len(name) == 36

    response = client_of.get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Annual report.pdf\"; filename*=UTF-8''Annual%20report.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_a_png_is_added_on_edit_with_its_title(client_of, draft):
    picture = upload("../../etc/roof.PNG", PNG, "image/png")
    data = {"attachment-file": picture, "attachment-title": "  The roofs from above  "}
    response = edit(client_of, draft, **data)

    assert response.status_code == 302
    attachment = draft.attachments.get()
    assert (attachment.title, attachment.content_type) == ("The roofs from above", "image/png")
    assert attachment.file.name.startswith("attachments/")
    assert attachment.file.name.endswith(".png") and "roof" not in attachment.file.name
    assert stored_files() == [Path(attachment.file.path)]

    page = client_of.get(reverse("submit:edit", args=[draft.slug])).content.decode()
    assert download_url(attachment) in page
    assert 'enctype="multipart/form-data"' in page
    assert "Attach a document or picture" in page

    response = client_of.get(download_url(attachment))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="The roofs from above.png"'
    )


def test_without_a_title_the_cleaned_filename_is_used(draft, owner):
    attachment = attachments.add_attachment(
        draft, upload("C:\\Users\\ana\\plan\x00\x07 2024.pdf", PDF), actor=owner, title=" "
    )
    assert attachment.title == "plan 2024.pdf"


def test_a_non_ascii_title_gets_an_ascii_fallback_and_a_utf8_name(draft, owner):
    attachment = attachments.add_attachment(
        draft, upload("x.jpg", JPEG), actor=owner, title='Отчёт "Ñandú"/финал'
    )
    header = attachments.content_disposition(attachment)
    assert header.startswith("attachment; filename=\"Nandu_.jpg\"; filename*=UTF-8''")
    assert "%D0%9E%D1%82%D1%87%D1%91%D1%82" in header
    assert '"' not in header.split("filename*=")[1]

    only_cyrillic = attachments.add_attachment(
        draft, upload("x.gif", GIF), actor=owner, title="Отчёт"
    )
    assert 'filename="attachment.gif"' in attachments.content_disposition(only_cyrillic)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("drawing.svg", SVG, "image/svg+xml"),
        ("photo.png", HTML, "image/png"),
        ("report.pdf", TEXT, "application/pdf"),
    ],
)
def test_other_files_are_refused_by_name_and_nothing_is_stored(
    client_of, draft, name, content, content_type
):
    response = edit(
        client_of,
        draft,
        title="A new title that must not be saved",
        **{"attachment-file": upload(name, content, content_type)},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert f"“{name}” is not a PDF document or a PNG, JPEG, GIF or WebP picture" in page
    assert 'href="#id_attachment-file"' in page
    assert not Attachment.objects.exists()
    assert stored_files() == []
    draft.refresh_from_db()
    assert draft.title == "Solar roofs"


def test_a_refused_file_on_a_new_case_saves_nothing(client_of):
    response = client_of.post(NEW, case_data(**{"attachment-file": upload("x.png", HTML)}))
    assert response.status_code == 400
    assert not BestPractice.objects.exists()
    assert stored_files() == []


@override_settings(ATTACHMENT_MAX_BYTES=64)
def test_a_file_over_the_limit_is_refused(client_of, draft):
    big = upload("big.pdf", PDF + b"0" * 100)
    response = edit(client_of, draft, **{"attachment-file": big})

    assert response.status_code == 400
    assert "“big.pdf” is too large" in response.content.decode()
    assert "at most 64" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_a_50_mb_upload_is_refused_by_its_size_before_any_byte_is_read():
    # A file that fails the test if anything reads it; Django has counted its size.
    content = mock.Mock(spec=io.BytesIO)
    huge = UploadedFile(content, "huge.pdf", "application/pdf", size=50 * 1024 * 1024)
    with pytest.raises(ValidationError) as refusal:
        attachments.check_upload(huge)
    content.read.assert_not_called()
    content.seek.assert_not_called()
    assert refusal.value.code == "too_large"
    assert "“huge.pdf” is too large (50.0\xa0MB)" in refusal.value.messages[0]
    assert "10.0\xa0MB" in refusal.value.messages[0]


def test_the_default_limit_is_ten_mebibytes():
    assert settings.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024


def test_an_unpublished_cases_attachment_is_hidden_from_the_public(owner, client_of, draft):
    attachment = attachments.add_attachment(draft, upload("plan.pdf", PDF), actor=owner)
    url = download_url(attachment)

    assert Client().get(url).status_code == 404
    other = Client()
    other.force_login(submitter("other"))
    assert other.get(url).status_code == 404
    assert client_of.get(url).status_code == 200
    reviewer = Client()
    reviewer.force_login(curator())
    assert reviewer.get(url).status_code == 200


def test_a_published_cases_attachment_is_public_and_linked_from_its_page():
    practice = factories.PublishedPracticeFactory()
    attachment = factories.AttachmentFactory(practice=practice, title="Case study")
    url = download_url(attachment)

    page = Client().get(reverse("practices:detail", args=[practice.slug])).content.decode()
    assert f'href="{url}"' in page

    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="Case study.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Cache-Control" not in response or "private" not in response["Cache-Control"]


def test_an_attachment_under_another_cases_slug_or_without_its_file_is_a_404():
    attachment = factories.AttachmentFactory(practice=factories.PublishedPracticeFactory())
    other = factories.PublishedPracticeFactory()
    wrong = reverse("practices:attachment", args=[other.slug, attachment.pk])
    assert Client().get(wrong).status_code == 404

    attachment.file.delete(save=False)
    assert Client().get(download_url(attachment)).status_code == 404


def test_a_user_who_may_not_edit_cannot_attach(draft):
    stranger = submitter("stranger")
    client = Client()
    client.force_login(stranger)

    response = edit(client, draft, **{"attachment-file": upload("plan.pdf", PDF)})
    # Someone else's draft does not exist for them.
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        attachments.add_attachment(draft, upload("plan.pdf", PDF), actor=stranger)
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_the_submitter_cannot_attach_after_submitting(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.SUBMITTED)
    response = edit(client_of, practice, **{"attachment-file": upload("plan.pdf", PDF)})
    assert response.status_code == 403
    assert not Attachment.objects.exists()
