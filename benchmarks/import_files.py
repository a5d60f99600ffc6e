"""Reading the CSV and XLSX files curators upload (benchmarks.imports plans and commits them).

Files
    CSV in UTF-8, with or without a byte-order mark. The header line decides the
    delimiter: ``,`` or ``;`` (a header with both, or neither, is refused). With ``;`` the
    decimal mark is ``,`` ("1,5" is 1.5); with ``,`` it is ``.``.
    XLSX: the first worksheet, read with openpyxl in read-only mode. A formula cell counts
    with the value the spreadsheet program saved with it; a formula without a saved value
    (as openpyxl writes them) refuses its row. Dates and yes/no cells are refused where a
    number is expected. Old .xls files are refused.
    Limits (settings): ``IMPORT_MAX_BYTES`` for the file, checked before anything is
    parsed; ``IMPORT_MAX_ROWS`` rows below the header, blank ones included, checked on
    the sheet's own dimension before its rows are read. An XLSX whose zip members claim
    more than ``UNCOMPRESSED_RATIO`` times the byte limit once unpacked is refused before
    it is opened (zipfile stops at the claimed size, and Python's expat refuses entity
    expansion bombs). The first row names the columns (``COLUMNS``).

Numbers (text cells; numeric XLSX cells are taken as they are)
    An optional sign, digits, at most one decimal mark and an optional exponent (``1.5e3``).
    Thousands separators are accepted only where they cannot be read otherwise:
    - spaces (also no-break and thin spaces) between groups of three digits;
    - a mark that occurs more than once ("1.234.567", "1,234,567");
    - both marks, the last one being the decimal mark ("1.234,5", "1,234.5");
    - a single mark not followed by exactly three digits, or after a lone 0, which can only
      be a decimal mark ("1.5" and "0,125" anywhere).
    A single mark followed by exactly three digits ("1.234", "1,234") is the file's decimal
    mark when it is that mark; otherwise (and in XLSX text cells, which have no file
    convention) it is ambiguous and refused. NaN, infinity, numbers beyond the range of a
    double (1e400), percent signs in the value, and spreadsheet errors (#DIV/0!) are
    refused.
"""

import csv
import hashlib
import io
import logging
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from cset.reference.text import clean_name, clean_text, fold

from .loaders.common import FIRST_YEAR, LAST_YEAR

logger = logging.getLogger(__name__)

# An XLSX may unpack to this many times the byte limit (a sheet of 20,000 rows is about
# 10 MB of XML, zipped to 1–2 MB); a zip bomb claims far more.
UNCOMPRESSED_RATIO = 10
MAX_ZIP_MEMBERS = 1000
MAX_COLUMNS = 50

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"

COLUMNS = (
    "place_scheme",
    "place_id",
    "place_name",
    "country",
    "subdivision",
    "indicator",
    "year",
    "value",
    "unit",
    "notation",
    "source",
    "method",
    "verification",
    "note",
)
REQUIRED_COLUMNS = ("indicator", "year", "unit", "source")


class FileRefused(ValueError):
    """The file as a whole cannot be imported. ``code`` is ``too_large`` (over the byte
    limit), ``too_many_rows``, ``too_big_inside`` (unpacks to too much), ``columns`` or
    ``unreadable``; ``batch`` is the ImportBatch that records the refusal, once recorded."""

    def __init__(self, message: str, code: str = "unreadable"):
        super().__init__(message)
        self.code = code
        self.batch = None


# Reading files -----------------------------------------------------------------------------

Cell = str | int | float | bool | datetime | date | time | timedelta | None


@dataclass
class Row:
    """One row of the file: its number as a spreadsheet shows it (the header is 1), its
    cells by column, and what reading found wrong with it."""

    number: int
    cells: dict[str, Cell]
    problems: list[str] = field(default_factory=list)


@dataclass
class Table:
    """An uploaded file, read."""

    file_name: str
    file_format: str
    content: bytes
    checksum: str
    columns: list[str]
    rows: list[Row]
    decimal_mark: str | None


# What a multipart body carries besides the file (boundaries, part headers, the CSRF token).
FORM_OVERHEAD = 64 * 1024


def body_too_large(content_length: str | None) -> bool:
    """Whether a request body of this declared length (the Content-Length header) is too
    long to hold a file within the limit: such a body is refused before it is parsed."""
    try:
        declared = int(content_length or 0)
    except ValueError:
        return False
    return declared > settings.IMPORT_MAX_BYTES + FORM_OVERHEAD


def too_large_message() -> str:
    return _("The file is larger than %(limit)s bytes, the most an import accepts.") % {
        "limit": settings.IMPORT_MAX_BYTES
    }


def _too_large(size: int) -> FileRefused:
    return FileRefused(
        _("The file has %(size)s bytes; at most %(limit)s are accepted.")
        % {"size": size, "limit": settings.IMPORT_MAX_BYTES},
        code="too_large",
    )


def _too_many_rows(count: int) -> FileRefused:
    return FileRefused(
        _("The file has %(count)s rows below its header; at most %(limit)s are accepted.")
        % {"count": count, "limit": settings.IMPORT_MAX_ROWS},
        code="too_many_rows",
    )


def clean_file_name(name: str | None) -> str:
    return clean_name((name or "").replace("\\", "/").rsplit("/", 1)[-1])[:255] or "upload"


def read(upload) -> Table:
    """Read an uploaded file (anything with ``name``, ``size`` and ``read``); the byte limit
    is checked before a byte is parsed. Raises FileRefused."""
    limit = settings.IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large(upload.size)
    upload.seek(0)
    content = upload.read(limit + 1)
    return read_content(upload.name, content)


def read_content(name: str, content: bytes) -> Table:
    """Read a file's bytes as CSV or XLSX (told apart by their first bytes)."""
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise _too_large(len(content))
    if not content.strip():
        raise FileRefused(_("The file is empty."))
    if content.startswith(OLE_MAGIC):
        raise FileRefused(_("This is an old Excel (.xls) file: save it as .xlsx or as CSV UTF-8."))

    if content.startswith(XLSX_MAGIC):
        file_format, decimal_mark = "xlsx", None
        columns, rows = _read_xlsx(content)
    else:
        file_format = "csv"
        columns, rows, decimal_mark = _read_csv(content)

    _check_columns(columns)
    if not rows:
        raise FileRefused(_("The file has a header but no rows of values."), code="no_rows")
    return Table(
        file_name=clean_file_name(name),
        file_format=file_format,
        content=content,
        checksum=hashlib.sha256(content).hexdigest(),
        columns=columns,
        rows=rows,
        decimal_mark=decimal_mark,
    )


def _column_name(text: Cell) -> str:
    return re.sub(r"[\s\-]+", "_", fold(cell_text(text))).strip("_")


def _header(cells: Iterable[Cell]) -> list[str]:
    names = [_column_name(cell) for cell in cells]
    while names and not names[-1]:
        names.pop()
    return names


def _check_columns(columns: list[str]) -> None:
    """The header must name known columns, once each, enough to place and value a row."""
    known = ", ".join(COLUMNS)
    if not columns:
        raise FileRefused(_("The first row must name the columns: %(known)s.") % {"known": known})
    problems = []
    if "" in columns:
        problems.append(_("column %(number)s has no name") % {"number": columns.index("") + 1})
    unknown = sorted({name for name in columns if name and name not in COLUMNS})
    if unknown:
        problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
    twice = sorted({name for name in columns if name and columns.count(name) > 1})
    if twice:
        problems.append(_("columns named twice: %(names)s") % {"names": ", ".join(twice)})
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
    if "place_id" not in columns and not {"place_name", "country"} <= set(columns):
        problems.append(_("no place columns: place_scheme and place_id, or place_name and country"))
    if "value" not in columns and "notation" not in columns:
        problems.append(_("neither a value nor a notation column"))
    if len(columns) >= MAX_COLUMNS:
        problems.append(_("more than %(count)s columns") % {"count": MAX_COLUMNS - 1})
    if problems:
        raise FileRefused(
            _("The header cannot be used (%(problems)s). The columns are: %(known)s.")
            % {"problems": "; ".join(problems), "known": known},
            code="columns",
        )


def _delimiter(header_line: str) -> str:
    """``,`` or ``;``, from the header line alone (our column names contain neither)."""
    semicolons, commas = header_line.count(";"), header_line.count(",")
    if semicolons and not commas:
        return ";"
    if commas and not semicolons:
        return ","
    if semicolons and commas:
        raise FileRefused(
            _("The header line has both “,” and “;”: separate the columns with one of them.")
        )
    if "\t" in header_line:
        raise FileRefused(_("The columns are separated by tabs: use “,” or “;”."))
    raise FileRefused(_("The header line names one column only: separate columns with “,” or “;”."))


def _extra_cells_problem(cells: list[Cell], width: int) -> list[str]:
    if any(cell_text(cell) for cell in cells[width:]):
        return [
            _("This row has cells beyond the %(count)s columns the header names.")
            % {"count": width}
        ]
    return []


def _read_csv(content: bytes) -> tuple[list[str], list[Row], str]:
    if b"\x00" in content:
        raise FileRefused(
            _("The file contains NUL bytes: it is not CSV text (UTF-16, or a binary file?).")
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(
            _("The file is not UTF-8 text (byte %(position)s): save it as “CSV UTF-8”.")
            % {"position": error.start}
        ) from error

    delimiter = _delimiter(re.split(r"\r\n|\r|\n", text, maxsplit=1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    limit = settings.IMPORT_MAX_ROWS
    rows = []
    try:
        columns = _header(next(reader, []))
        for number, cells in enumerate(reader, start=2):
            if number - 1 > limit:
                raise _too_many_rows(number - 1 + sum(1 for _rest in reader))
            if not any(cell.strip() for cell in cells):
                continue
            row = Row(number, dict(zip(columns, cells, strict=False)))
            row.problems += _extra_cells_problem(cells, len(columns))
            rows.append(row)
    except csv.Error as error:
        raise FileRefused(
            _("Line %(line)s cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error
    return columns, rows, "," if delimiter == ";" else "."


# What openpyxl and zipfile raise on a damaged or disguised workbook.
_XLSX_ERRORS = (
    InvalidFileException,
    zipfile.BadZipFile,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    OSError,
    EOFError,
)


def _check_zip(content: bytes) -> None:
    """Refuse a workbook whose members claim too much once unpacked, before opening it."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise FileRefused(
            _("The file is neither CSV text nor a readable XLSX workbook.")
        ) from error
    claimed = sum(member.file_size for member in members)
    allowed = settings.IMPORT_MAX_BYTES * UNCOMPRESSED_RATIO
    if len(members) > MAX_ZIP_MEMBERS or claimed > allowed:
        raise FileRefused(
            _(
                "The workbook unpacks to %(claimed)s bytes in %(count)s parts; at most %(allowed)s "
                "bytes are accepted."
            )
            % {"claimed": claimed, "count": len(members), "allowed": allowed},
            code="too_big_inside",
        )


def _read_xlsx(content: bytes) -> tuple[list[str], list[Row]]:
    _check_zip(content)
    books = []
    try:
        # Once for the values saved with formulas, once to see which empty cells are formulas.
        for data_only in (True, False):
            books.append(load_workbook(io.BytesIO(content), read_only=True, data_only=data_only))
        values, formulas = (book.worksheets[0] for book in books)
        _check_dimension(values)
        return _xlsx_rows(values, formulas)
    except FileRefused:
        raise
    except _XLSX_ERRORS as error:
        logger.info("unreadable workbook: %s", type(error).__name__)
        raise FileRefused(
            _("The file is neither CSV text nor a readable XLSX workbook.")
        ) from error
    finally:
        for book in books:
            book.close()


def _check_dimension(sheet) -> None:
    claimed = sheet.max_row
    if claimed is not None and claimed - 1 > settings.IMPORT_MAX_ROWS:
        raise _too_many_rows(claimed - 1)


def _xlsx_rows(values, formulas) -> tuple[list[str], list[Row]]:
    """The sheet's rows, read at most one past the limit whatever the sheet claims."""
    limit = settings.IMPORT_MAX_ROWS
    bounds = {"max_row": limit + 2, "max_col": MAX_COLUMNS, "values_only": True}
    value_rows, formula_rows = values.iter_rows(**bounds), formulas.iter_rows(**bounds)
    columns = _header(next(value_rows, ()))
    next(formula_rows, None)

    rows = []
    for number, (cells, formula_cells) in enumerate(
        zip(value_rows, formula_rows, strict=False), start=2
    ):
        if number - 1 > limit:
            raise _too_many_rows(number - 1)
        if all(cell is None or cell_text(cell) == "" for cell in (*cells, *formula_cells)):
            continue
        row = Row(number, dict(zip(columns, cells, strict=False)))
        row.problems += _extra_cells_problem(list(cells), len(columns))
        for name, value, formula in zip(columns, cells, formula_cells, strict=False):
            if value is None and formula is not None:
                row.problems.append(
                    _(
                        "Column %(column)s: the formula %(formula)s has no saved value; open "
                        "the file in a spreadsheet program and save it again."
                    )
                    % {"column": name, "formula": str(getattr(formula, "text", formula))[:60]}
                )
        rows.append(row)
    return columns, rows


# Reading cells -----------------------------------------------------------------------------


def cell_text(cell: Cell) -> str:
    """A cell as text: whole numbers without ".0" (identifiers), text cleaned."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        cell = int(cell)
    return clean_text(str(cell))


_SPREADSHEET_ERROR = re.compile(r"#[A-Z0-9/]+[!?]?|#N/A")
_EXPONENT = re.compile(r"([0-9]*[.,]?[0-9]+)[eE]([+-]?[0-9]{1,6})")
_PLAIN = re.compile(r"[0-9., ]*[0-9][0-9., ]*")
_SPACES = re.compile(r"[ \u00a0\u2009\u202f]")


def _finite(number: float) -> float:
    if math.isnan(number):
        raise ValueError(_("NaN is not a value: leave the value empty and give a notation."))
    if math.isinf(number):
        raise ValueError(_("The number is beyond what can be stored (about 1.8e308)."))
    return number


def parse_number(cell: Cell, decimal_mark: str | None) -> float:
    """A cell as a number, by the rules of the module's docstring; ValueError otherwise,
    with a message that says why."""
    if isinstance(cell, bool):
        raise ValueError(_("A yes/no cell is not a number."))
    if isinstance(cell, datetime | date | time | timedelta):
        raise ValueError(
            _("The cell holds a date or time, not a number: format it as a number or as text.")
        )
    if isinstance(cell, int | float):
        try:
            return _finite(float(cell))
        except OverflowError as error:
            raise ValueError(
                _("The number is beyond what can be stored (about 1.8e308).")
            ) from error

    text = cell_text(cell).replace("\u2212", "-")
    negative = text.startswith("-")
    body = text[1:] if text[:1] in ("-", "+") else text
    _refuse_words(text, body)
    exponent = _EXPONENT.fullmatch(body)
    if exponent:
        digits = f"{exponent[1].replace(',', '.')}e{exponent[2]}"
    else:
        digits = _plain_digits(_SPACES.sub(" ", body), decimal_mark, text)
    number = _finite(float(("-" if negative else "") + digits))
    if number == 0 and re.search("[1-9]", digits.partition("e")[0]):
        # 1e-400 reads as 0.0: a value that is not zero must not be stored as one.
        raise ValueError(_("The number is too small to be stored (below about 1e-308)."))
    return number


def _refuse_words(text: str, body: str) -> None:
    """Refuse, with their own reasons, the things that look like numbers to a reader."""
    word = body.casefold()
    if word == "nan":
        raise ValueError(_("NaN is not a value: leave the value empty and give a notation."))
    if word in ("inf", "infinity", "∞"):
        raise ValueError(_("Infinity is not a value."))
    if _SPREADSHEET_ERROR.fullmatch(body):
        raise ValueError(_("“%(value)s” is a spreadsheet error, not a number.") % {"value": text})
    if body.endswith("%"):
        raise ValueError(
            _("Write “%” in the unit column, and the number alone in the value column.")
        )


def _not_a_number(text: str) -> ValueError:
    return ValueError(_("“%(value)s” is not a number.") % {"value": text[:80]})


def _plain_digits(body: str, decimal_mark: str | None, text: str) -> str:
    """``body`` (spaces normalised) as digits with ``.`` as decimal mark, or ValueError."""
    if not _PLAIN.fullmatch(body) or body != body.strip() or "  " in body:
        raise _not_a_number(text)
    marks = [char for char in body if char in ".,"]
    kinds = set(marks)
    if len(kinds) == 2:
        decimal = body[max(body.rfind("."), body.rfind(","))]
        grouping = "," if decimal == "." else "."
        if marks.count(decimal) > 1:
            raise _not_a_number(text)
    elif kinds and marks.count(marks[0]) > 1:
        decimal, grouping = None, marks[0]
    elif kinds:
        decimal, grouping = _single_mark(body, marks[0], decimal_mark, text), None
    else:
        decimal, grouping = None, None

    if " " in body:
        if grouping:
            raise ValueError(
                _("“%(value)s” mixes two thousands separators.") % {"value": text[:80]}
            )
        grouping = " "
    integer, _mark, fraction = body.partition(decimal) if decimal else (body, "", "")
    if grouping:
        integer = _ungroup(integer, grouping, text)
    if decimal and not re.fullmatch(r"[0-9]+", fraction):
        raise _not_a_number(text)
    if integer and not re.fullmatch(r"[0-9]+", integer):
        raise _not_a_number(text)
    return f"{integer or '0'}.{fraction}" if decimal else integer


def _single_mark(body: str, mark: str, decimal_mark: str | None, text: str) -> str:
    """A mark that occurs once is a decimal mark, unless it could also group thousands."""
    integer, fraction = body.split(mark)
    could_group = re.fullmatch(r"[1-9][0-9]{0,2}", integer) and re.fullmatch(r"[0-9]{3}", fraction)
    if not could_group or mark == decimal_mark:
        return mark
    decimal_reading = f"{integer}.{fraction}"
    grouped_reading = f"{integer}{fraction}"
    if decimal_mark is None:
        advice = _("Write it without thousands separators.")
    else:
        advice = _(
            "Write it without thousands separators, with “%(mark)s” as decimal mark "
            "like the rest of this file."
        ) % {"mark": decimal_mark}
    raise ValueError(
        _("“%(value)s” is ambiguous: %(decimal)s or %(grouped)s?")
        % {"value": text[:80], "decimal": decimal_reading, "grouped": grouped_reading}
        + " "
        + advice
    )


def _ungroup(integer: str, grouping: str, text: str) -> str:
    if not re.fullmatch(rf"[1-9][0-9]{{0,2}}(?:{re.escape(grouping)}[0-9]{{3}})+", integer):
        raise ValueError(
            _("“%(value)s” has thousands separators in the wrong places.") % {"value": text[:80]}
        )
    return integer.replace(grouping, "")


def parse_year(cell: Cell) -> int:
    """A year between 1900 and 2100, from a whole number or digits; ValueError otherwise."""
    if isinstance(cell, bool | datetime | date | time | timedelta):
        raise ValueError(_("The year must be a number such as 2021."))
    text = cell_text(cell)
    if not re.fullmatch(r"[0-9]{1,4}", text):
        raise ValueError(_("“%(value)s” is not a year such as 2021.") % {"value": text[:80]})
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            _("The year %(year)s is outside %(first)s–%(last)s.")
            % {"year": year, "first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return year
