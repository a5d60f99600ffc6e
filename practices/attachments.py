"""Attachments of a case: what may be uploaded, how it is stored, and how it is named
when downloaded.

Only PDF documents and raster pictures (PNG, JPEG, GIF, WebP) are accepted, recognised
from their first bytes, never from the name or the browser's content type: an HTML page
named ``.png`` or an SVG with a script is refused. The size is checked before any byte
is read, so an upload far over the limit is refused without being loaded into memory.
Files are stored under a generated name; the user's filename only becomes the title.
"""

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from . import services
from .models import Attachment, BestPractice

logger = logging.getLogger(__name__)

# Enough of the file's start to tell every accepted type apart.
HEAD_BYTES = 16
TITLE_MAX_LENGTH = Attachment._meta.get_field("title").max_length
UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._ -]+")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str


PDF = FileKind("application/pdf", "pdf")
PNG = FileKind("image/png", "png")
JPEG = FileKind("image/jpeg", "jpg")
GIF = FileKind("image/gif", "gif")
WEBP = FileKind("image/webp", "webp")


def detect_kind(head: bytes) -> FileKind | None:
    """The accepted kind whose signature starts ``head``, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def check_upload(upload: UploadedFile) -> FileKind:
    """The kind of ``upload``; a ValidationError naming the file if it is refused."""
    name = upload.name or _("The file")
    limit = settings.ATTACHMENT_MAX_BYTES
    # The size Django counted while receiving: nothing of the file is read for this.
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s): an attachment may be at most %(limit)s.")
            % {
                "name": name,
                "size": filesizeformat(upload.size or 0),
                "limit": filesizeformat(limit),
            },
            code="too_large",
        )

    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    kind = detect_kind(head)
    if kind is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a PDF document or a PNG, JPEG, GIF or WebP picture; "
                "other files (SVG and HTML among them) cannot be attached."
            )
            % {"name": name},
            code="wrong_type",
        )
    return kind


def title_from_filename(filename: str) -> str:
    """The user's filename made fit for a title: no folders, no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(CONTROL_CHARACTERS.sub(" ", name).split())
    return name[:TITLE_MAX_LENGTH] or _("Attachment")


def add_attachment(
    practice: BestPractice, upload: UploadedFile, *, actor, title: str = ""
) -> Attachment:
    """Store ``upload`` as an attachment of ``practice``, if ``actor`` may edit the case.

    Raises PermissionDenied or ValidationError; nothing is stored then.
    """
    services.check_can_edit(practice, actor)
    kind = check_upload(upload)

    attachment = Attachment(
        practice=practice,
        title=title.strip()[:TITLE_MAX_LENGTH] or title_from_filename(upload.name or ""),
        content_type=kind.content_type,
        size=upload.size,
    )
    attachment.file.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
    # Known gap: if an enclosing transaction rolls back after this point, the row goes but
    # the file stays in MEDIA_ROOT as an orphan (harmless, never served, but it takes
    # space). Callers add the attachment as their last step to make that rare; a
    # periodic sweep of files without a row would close it.
    try:
        with transaction.atomic():
            attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise

    logger.info("attachment %s added to practice %s", attachment.pk, practice.pk)
    return attachment


def download_name(attachment: Attachment) -> str:
    """The title as a filename, ending in the extension of the stored type."""
    extension = attachment.file.name.rsplit(".", 1)[-1].lower()
    stem = attachment.title.removesuffix(f".{extension}").strip(" .") or _("attachment")
    return f"{stem}.{extension}"


def content_disposition(attachment: Attachment) -> str:
    """``attachment`` with a plain ASCII filename and the full UTF-8 one (RFC 6266)."""
    name = download_name(attachment)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = UNSAFE_NAME_CHARACTERS.sub("_", ascii_name).strip(" ._")
    if "." not in ascii_name:
        ascii_name = f"attachment.{name.rsplit('.', 1)[-1]}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
