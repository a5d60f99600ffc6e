"""The curators' import pages: upload a file, read its dry run, commit it, and the history.

Every page is for holders of ``benchmarks.import_measurement`` (the Curators group;
superusers pass): anonymous visitors are sent to sign in, others get a 403. The work is
done by ``benchmarks.imports``, which the API calls too.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cset.reference.pages import paginate, query_without

from . import imports
from .import_files import COLUMNS, MAX_COLUMNS, body_too_large, too_large_message
from .models import IMPORT_PERMISSION, ImportBatch, ImportStatus

ROWS_PER_PAGE = 100
BATCHES_PER_PAGE = 25
ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FIELD_LABELS = {
    "value": gettext_lazy("value"),
    "unit": gettext_lazy("unit"),
    "value_canonical": gettext_lazy("value in the canonical unit"),
    "notation": gettext_lazy("notation"),
    "method": gettext_lazy("method"),
    "verification": gettext_lazy("verification"),
    "note": gettext_lazy("note"),
}
# Refused rows first: they are what the curator has to act on.
OUTCOME_ORDER = {
    imports.Outcome.REFUSED: 0,
    imports.Outcome.UPDATE: 1,
    imports.Outcome.CREATE: 2,
    imports.Outcome.UNCHANGED: 3,
}


def curators_only(view):
    """Anonymous visitors are sent to sign in; signed-in users without the permission get 403."""
    return login_required(permission_required(IMPORT_PERMISSION, raise_exception=True)(view))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


def _upload_page(
    request: HttpRequest, form: ImportForm, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "columns": COLUMNS,
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "max_columns": MAX_COLUMNS - 1,
        "accept": ACCEPT,
    }
    return render(request, "benchmarks/import/upload.html", context, status=status)


# The CSRF check reads the whole form, file included; the declared size is checked first so
# that an oversized body is refused unread, and the CSRF check follows (csrf_protect).
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@curators_only
def upload(request: HttpRequest) -> HttpResponse:
    """The upload form; a posted file is planned (a dry run) and its page shown."""
    if request.method == "POST" and body_too_large(request.META.get("CONTENT_LENGTH")):
        return _upload_page(request, ImportForm(), status=413, error=too_large_message())
    return _checked_upload(request)


@csrf_protect
def _checked_upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, ImportForm())

    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    try:
        batch = imports.prepare(form.cleaned_data["file"], request.user)
    except imports.FileRefused as refusal:
        form.add_error("file", str(refusal))
        return _upload_page(request, form, status=413 if refusal.code == "too_large" else 400)
    return redirect("imports:batch", pk=batch.pk)


def _rows_shown(request: HttpRequest, rows: list[dict]) -> tuple[list[dict], str]:
    """The rows of the chosen outcome (all by default), refused first, then in file order."""
    chosen = request.GET.get("outcome", "")
    if chosen not in imports.Outcome.values:
        chosen = ""
    shown = [row for row in rows if not chosen or row.get("outcome") == chosen]
    shown.sort(key=lambda row: (OUTCOME_ORDER.get(row.get("outcome"), 9), row.get("row", 0)))
    return shown, chosen


def _labelled(row: dict) -> dict:
    """A recorded row with what the template shows: its outcome's label and its changes."""
    outcome = row.get("outcome", "")
    changes = [
        (FIELD_LABELS.get(name, name), old, new)
        for name, (old, new) in (row.get("changes") or {}).items()
    ]
    label = imports.Outcome(outcome).label if outcome in imports.Outcome.values else outcome
    shown = {**row, "outcome_label": label, "change_list": changes}
    if isinstance(row.get("value_canonical"), float):
        shown["value_canonical"] = _precise(row["value_canonical"])
    return shown


def _precise(value: float) -> str:
    """A converted value to eight significant digits, as the reader's language writes
    numbers: enough to check a conversion, without a float's binary tail."""
    rounded = float(f"{value:.8g}")
    if rounded.is_integer():
        rounded = int(rounded)
    return formats.number_format(rounded, use_l10n=True, force_grouping=True)


def _outcome_filter(rows: list[dict], chosen: str) -> list[dict]:
    counts = dict.fromkeys(imports.Outcome.values, 0)
    for row in rows:
        if row.get("outcome") in counts:
            counts[row["outcome"]] += 1
    choices = [{"value": "", "label": _("All rows"), "count": len(rows), "selected": not chosen}]
    for value, label in imports.Outcome.choices:
        choices.append(
            {"value": value, "label": label, "count": counts[value], "selected": value == chosen}
        )
    return choices


@require_GET
@curators_only
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its totals and, row by row, what it would do (a dry run) or did."""
    batch = get_object_or_404(
        ImportBatch.objects.defer("content").select_related("created_by", "committed_by"), pk=pk
    )
    rows = batch.changes if isinstance(batch.changes, list) else []
    shown, chosen = _rows_shown(request, rows)
    page = paginate(request, shown, per_page=ROWS_PER_PAGE)
    page.object_list = [_labelled(row) for row in page.object_list]
    context = {
        "batch": batch,
        "can_commit": batch.status == ImportStatus.DRY_RUN,
        "dry_run_days": settings.IMPORT_DRY_RUN_DAYS,
        "page": page,
        "outcome_filter": _outcome_filter(rows, chosen),
        "outcome": chosen,
        "query": query_without(request, "page"),
    }
    return render(request, "benchmarks/import/importbatch_detail.html", context)


@require_POST
@curators_only
def commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Commit a dry run; a second click (or a second curator) is told it was imported."""
    get_object_or_404(ImportBatch.objects.only("pk"), pk=pk)
    try:
        batch = imports.commit_batch(pk, request.user)
    except imports.AlreadyImported as refusal:
        messages.info(request, str(refusal))
    except (imports.ImportRefused, imports.FileRefused) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {
                "created": batch.created_count,
                "updated": batch.updated_count,
                "unchanged": batch.unchanged_count,
            },
        )
    return redirect("imports:batch", pk=pk)


@require_GET
@curators_only
def history(request: HttpRequest) -> HttpResponse:
    """Every import, newest first, with its counts; each links to its changes row by row."""
    batches = (
        ImportBatch.objects.defer("content", "changes")
        .select_related("created_by", "committed_by")
        .order_by("-created_at", "-pk")
    )
    status = request.GET.get("status", "")
    if status in ImportStatus.values:
        batches = batches.filter(status=status)
    else:
        status = ""
    context = {
        "page": paginate(request, batches, per_page=BATCHES_PER_PAGE),
        "status": status,
        "statuses": ImportStatus.choices,
        "query": query_without(request, "page"),
    }
    return render(request, "benchmarks/import/importbatch_list.html", context)
