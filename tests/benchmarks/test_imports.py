"""Measurement imports: reading CSV and XLSX files, the dry run's row outcomes, and the
all-or-nothing commit that agrees with its dry run."""

import io
import re
import threading
import time
import zipfile

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks import imports, services
from benchmarks.import_files import parse_number, read_content
from benchmarks.models import ImportBatch, ImportStatus, Measurement
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "place_scheme,place_id,indicator,year,value,unit,source"


# Helpers and data ----------------------------------------------------------------------------


def importer(name: str = "importer", **extra):
    """A user holding the import permission (granted directly, not through a group)."""
    user = get_user_model().objects.create(username=name, email=f"{name}@example.org", **extra)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="benchmarks", codename="import_measurement")
    )
    return get_user_model().objects.get(pk=user.pk)


def csv_file(text: str, name: str = "values.csv", *, bom: bool = False) -> SimpleUploadedFile:
    content = ("\ufeff" if bom else "") + text
    return SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_member(content: bytes, member: str, change) -> bytes:
    """The workbook with one zip member's text changed by ``change``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data.decode()).encode()
            target.writestr(info, data)
    return buffer.getvalue()


def xlsx_file(content: bytes, name: str = "values.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def world():
    """Manchester and Wildpoldsried with their identifiers, indicators and sources."""
    gb = factories.CountryFactory(code="GB", name="United Kingdom")
    de = factories.CountryFactory(code="DE", name="Germany")
    manchester = factories.PlaceFactory(name="Manchester", slug="manchester", country=gb)
    factories.PlaceIdentifierFactory(place=manchester, scheme="gb-gss", value="E08000003")
    town = factories.PlaceFactory(
        name="Wildpoldsried", slug="wildpoldsried", country=de, subdivision_code="DE-BY"
    )
    factories.PlaceIdentifierFactory(place=town, scheme="de-ags", value="09780147")
    return {
        "gb": gb,
        "de": de,
        "manchester": manchester,
        "town": town,
        "co2": factories.IndicatorFactory(
            code="gb-co2-total", unit="kt CO2", quantity_kind="emissions"
        ),
        "energy": factories.IndicatorFactory(
            code="final-energy", unit="GJ", quantity_kind="final_energy"
        ),
        "source": factories.SourceFactory(slug="uk-emissions"),
        "curated": factories.SourceFactory(slug="curated"),
    }


@pytest.fixture
def actor():
    return importer()


def planned(upload, actor) -> imports.Plan:
    return imports.plan(imports.read(upload), actor)


def only_row(result: imports.Plan) -> imports.RowPlan:
    assert len(result.rows) == 1
    return result.rows[0]


def reasons(row: imports.RowPlan) -> str:
    return " | ".join(row.reasons)


# Reading CSV -----------------------------------------------------------------------------------


def test_a_byte_order_mark_is_dropped_and_headers_are_case_insensitive(world, actor):
    text = "Place Scheme,PLACE_ID,Indicator,year,Value,unit,Source\n"
    text += "gb-gss,E08000003,gb-co2-total,2021,1234.5,kt CO2,uk-emissions\n"

    row = only_row(planned(csv_file(text, bom=True), actor))

    assert row.outcome == imports.Outcome.CREATE, row.reasons
    assert row.place == "Manchester"
    assert row.value_canonical == 1234.5


def test_semicolons_bring_decimal_commas(world, actor):
    text = "place_scheme;place_id;indicator;year;value;unit;source\n"
    text += "gb-gss;E08000003;gb-co2-total;2021;1,5;kt CO2;uk-emissions\n"
    text += "gb-gss;E08000003;gb-co2-total;2020;1.234,5;kt CO2;uk-emissions\n"

    result = planned(csv_file(text), actor)

    assert [row.value_canonical for row in result.rows] == [1.5, 1234.5]
    assert result.table.decimal_mark == ","


def test_an_ambiguous_thousands_separator_is_refused_with_both_readings(world, actor):
    text = "place_scheme;place_id;indicator;year;value;unit;source\n"
    text += "gb-gss;E08000003;gb-co2-total;2021;1.234;kt CO2;uk-emissions\n"

    row = only_row(planned(csv_file(text), actor))

    assert row.outcome == imports.Outcome.REFUSED
    assert "ambiguous" in reasons(row)
    assert "1.234 or 1234" in reasons(row)


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("1,5", ",", 1.5),
        ("1,234", ",", 1.234),
        ("1.234", ".", 1.234),
        ("1.234,5", ",", 1234.5),
        ("1,234.5", ",", 1234.5),
        ("1.234.567", ",", 1234567),
        ("1,234,567", ".", 1234567),
        ("1 234 567,25", ",", 1234567.25),
        ("1\u00a0234", ".", 1234),
        ("0,125", ".", 0.125),
        ("1.5", ",", 1.5),
        ("1,5", None, 1.5),
        ("-2,5", ",", -2.5),
        ("\u22122.5", ".", -2.5),
        ("+7", ".", 7),
        (".5", ".", 0.5),
        ("1.5e3", ".", 1500),
        ("2E-3", ".", 0.002),
        (" 42 ", ".", 42),
        (3.25, None, 3.25),
        ("0", ".", 0),
        ("0,000", ",", 0),
        ("0e-400", ".", 0),
        (7, None, 7),
    ],
)
def test_numbers_read_where_only_one_reading_exists(text, mark, expected):
    assert parse_number(text, mark) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "mark", "says"),
    [
        ("1.234", ",", "ambiguous"),
        ("1,234", ".", "ambiguous"),
        ("1,234", None, "ambiguous"),
        ("12.345", None, "ambiguous"),
        ("1,23,4", ".", "wrong places"),
        ("1.234.56", ",", "wrong places"),
        ("1 234.567.891", ".", "mixes"),
        ("1.2.3,4,5", ",", "not a number"),
        ("NaN", ".", "NaN"),
        ("nan", ".", "NaN"),
        ("inf", ".", "Infinity"),
        ("-Infinity", ".", "Infinity"),
        ("1e400", ".", "beyond"),
        ("-1e400", ".", "beyond"),
        ("1e-400", ".", "too small"),
        ("-0,5e-999", ",", "too small"),
        ("9" * 400, ".", "beyond"),
        (float("nan"), None, "NaN"),
        (float("inf"), None, "beyond"),
        (10**400, None, "beyond"),
        ("42%", ".", "unit column"),
        ("#DIV/0!", None, "spreadsheet error"),
        ("#N/A", None, "spreadsheet error"),
        ("abc", ".", "not a number"),
        ("5.", ".", "not a number"),
        ("1_000", ".", "not a number"),
        ("١٢", ".", "not a number"),
        ("--5", ".", "not a number"),
        (True, None, "yes/no"),
    ],
)
def test_numbers_refused_with_a_reason(text, mark, says):
    with pytest.raises(ValueError, match=says):
        parse_number(text, mark)


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("place_scheme,place_id;indicator,year", "both"),
        ("place_scheme\tplace_id\tindicator", "tabs"),
        ("place_scheme", "one column"),
    ],
)
def test_a_header_without_one_clear_delimiter_is_refused(header, says):
    with pytest.raises(imports.FileRefused, match=says):
        read_content("x.csv", f"{header}\n1,2\n".encode())


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (HEADER + ",colour", "unknown columns: colour"),
        ("place_scheme,place_id,indicator,year,value,source", "missing columns: unit"),
        ("indicator,year,value,unit,source", "no place columns"),
        ("place_id,indicator,year,unit,source", "neither a value nor a notation"),
        (HEADER + ",year", "columns named twice: year"),
        ("place_scheme,,place_id,indicator,year,value,unit,source", "column 2 has no name"),
    ],
)
def test_a_header_that_cannot_be_used_is_refused(header, says):
    with pytest.raises(imports.FileRefused, match=says) as refusal:
        read_content("x.csv", f"{header}\n".encode())
    assert refusal.value.code == "columns"


def test_files_that_are_not_utf8_csv_are_refused():
    with pytest.raises(imports.FileRefused, match="not UTF-8"):
        read_content("x.csv", (HEADER + "\nMünster").encode("latin-1"))
    with pytest.raises(imports.FileRefused, match="NUL bytes"):
        read_content("x.csv", (HEADER + "\n").encode("utf-16"))
    with pytest.raises(imports.FileRefused, match="old Excel"):
        read_content("x.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(imports.FileRefused, match="empty"):
        read_content("x.csv", b" \n\n")
    with pytest.raises(imports.FileRefused, match="a header but no rows"):
        read_content("x.csv", (HEADER + "\n\n").encode())
    with pytest.raises(imports.FileRefused, match="neither CSV text nor"):
        read_content("x.xlsx", b"PK\x03\x04 not really a zip")


def test_badly_quoted_csv_is_refused_with_its_line():
    text = HEADER + '\ngb-gss,"E08000003,gb-co2-total,2021,1,kt CO2,uk-emissions\n'
    with pytest.raises(imports.FileRefused, match="cannot be read as CSV"):
        read_content("x.csv", text.encode())


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(settings):
    settings.IMPORT_MAX_BYTES = 1000

    class Unreadable:
        name, size = "big.csv", 1001

        def seek(self, position):
            raise AssertionError("the file was touched")

        read = seek

    with pytest.raises(imports.FileRefused) as refusal:
        imports.read(Unreadable())
    assert refusal.value.code == "too_large"
    with pytest.raises(imports.FileRefused, match="1001 bytes"):
        read_content("big.csv", b"x" * 1001)


def test_rows_beyond_the_limit_are_refused(settings):
    settings.IMPORT_MAX_ROWS = 3
    text = HEADER + "\n" + "gb-gss,E08000003,gb-co2-total,2021,1,kt CO2,uk-emissions\n" * 4

    with pytest.raises(imports.FileRefused, match="4 rows") as refusal:
        read_content("x.csv", text.encode())
    assert refusal.value.code == "too_many_rows"


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(world, actor):
    text = HEADER + "\n\n,,,,,,\ngb-gss,E08000003,gb-co2-total,2021,1,kt CO2,uk-emissions\n"

    row = only_row(planned(csv_file(text), actor))

    assert row.row == 4
    assert row.outcome == imports.Outcome.CREATE


def test_cells_beyond_the_header_refuse_their_row(world, actor):
    text = HEADER + "\ngb-gss,E08000003,gb-co2-total,2021,1,kt CO2,uk-emissions,oops\n"

    row = only_row(planned(csv_file(text), actor))

    assert "beyond the 7 columns" in reasons(row)


# Reading XLSX ----------------------------------------------------------------------------------

XLSX_HEADER = ["place_scheme", "place_id", "indicator", "year", "value", "unit", "source"]


def test_xlsx_formulas_count_with_their_saved_values(world, actor):
    content = xlsx_bytes(
        [
            XLSX_HEADER,
            ["gb-gss", "E08000003", "gb-co2-total", 2021, "=2*3", "kt CO2", "uk-emissions"],
        ]
    )
    saved = rewrite_member(
        content, "xl/worksheets/sheet1.xml", lambda xml: xml.replace("<v />", "<v>6</v>")
    )

    row = only_row(planned(xlsx_file(saved), actor))

    assert row.outcome == imports.Outcome.CREATE, row.reasons
    assert row.value_canonical == 6


def test_an_xlsx_formula_without_a_saved_value_refuses_its_row(world, actor):
    content = xlsx_bytes(
        [
            XLSX_HEADER,
            ["gb-gss", "E08000003", "gb-co2-total", 2021, "=2*3", "kt CO2", "uk-emissions"],
        ]
    )

    row = only_row(planned(xlsx_file(content), actor))

    assert row.outcome == imports.Outcome.REFUSED
    assert "formula =2*3 has no saved value" in reasons(row)


def test_xlsx_dates_and_booleans_are_not_numbers(world, actor):
    import datetime

    content = xlsx_bytes(
        [
            XLSX_HEADER,
            [
                "gb-gss",
                "E08000003",
                "gb-co2-total",
                2021,
                datetime.date(2021, 1, 5),
                "kt CO2",
                "uk-emissions",
            ],
            ["gb-gss", "E08000003", "gb-co2-total", 2020, True, "kt CO2", "uk-emissions"],
            [
                "gb-gss",
                "E08000003",
                "gb-co2-total",
                datetime.date(2019, 1, 1),
                3,
                "kt CO2",
                "uk-emissions",
            ],
        ]
    )

    first, second, third = planned(xlsx_file(content), actor).rows

    assert "date or time" in reasons(first)
    assert "yes/no" in reasons(second)
    assert "year must be a number" in reasons(third)


def test_xlsx_numbers_and_text_numbers(world, actor):
    content = xlsx_bytes(
        [
            XLSX_HEADER,
            ["gb-gss", "E08000003", "gb-co2-total", 2021.0, 1234.5, "kt CO2", "uk-emissions"],
            ["gb-gss", "E08000003", "gb-co2-total", "2020", "1,5", "kt CO2", "uk-emissions"],
            ["gb-gss", "E08000003", "gb-co2-total", 2019, "1,500", "kt CO2", "uk-emissions"],
        ]
    )

    first, second, third = planned(xlsx_file(content), actor).rows

    assert (first.year, first.value_canonical) == (2021, 1234.5)
    assert second.value_canonical == 1.5
    # A text cell has no file convention to decide "1,500" by.
    assert "ambiguous" in reasons(third)


def test_an_identifier_typed_as_a_number_hints_at_its_lost_leading_zero(world, actor):
    content = xlsx_bytes(
        [XLSX_HEADER, ["de-ags", 9780147, "gb-co2-total", 2021, 1, "kt CO2", "uk-emissions"]]
    )

    row = only_row(planned(xlsx_file(content), actor))

    assert "leading zero" in reasons(row)


def test_a_workbook_that_unpacks_to_too_much_is_refused_unopened(settings, monkeypatch):
    settings.IMPORT_MAX_BYTES = 100_000
    content = xlsx_bytes([XLSX_HEADER])
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        # Two megabytes of zeros pack into a few kilobytes.
        archive.writestr("xl/media/padding.bin", b"\0" * 2_000_000)
    bomb = buffer.getvalue()
    assert len(bomb) < settings.IMPORT_MAX_BYTES
    monkeypatch.setattr(
        "benchmarks.import_files.load_workbook",
        lambda *args, **kwargs: pytest.fail("the workbook was opened"),
    )

    with pytest.raises(imports.FileRefused, match="unpacks to") as refusal:
        read_content("bomb.xlsx", bomb)
    assert refusal.value.code == "too_big_inside"


def test_a_sheet_claiming_too_many_rows_is_refused_before_its_rows_are_read(settings, monkeypatch):
    settings.IMPORT_MAX_ROWS = 10
    content = rewrite_member(
        xlsx_bytes([XLSX_HEADER, ["gb-gss"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:G1048576"', xml),
    )
    monkeypatch.setattr(
        "benchmarks.import_files._xlsx_rows",
        lambda *args: pytest.fail("the rows were read"),
    )

    with pytest.raises(imports.FileRefused, match="1048575 rows") as refusal:
        read_content("tall.xlsx", content)
    assert refusal.value.code == "too_many_rows"


def test_a_sheet_understating_its_rows_is_still_cut_at_the_limit(settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [XLSX_HEADER] + [["gb-gss", "E08000003"]] * 6
    content = rewrite_member(
        xlsx_bytes(rows),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:B2"', xml),
    )

    with pytest.raises(imports.FileRefused, match="rows below its header"):
        read_content("short.xlsx", content)


# Planning: units, numbers, years, notations -------------------------------------------------


def _row_text(**cells) -> str:
    values = {
        "place_scheme": "gb-gss",
        "place_id": "E08000003",
        "indicator": "gb-co2-total",
        "year": "2021",
        "value": "1",
        "unit": "kt CO2",
        "source": "uk-emissions",
        **cells,
    }
    header = ";".join(values)
    return header + "\n" + ";".join(str(value) for value in values.values()) + "\n"


def plan_one(actor, **cells) -> imports.RowPlan:
    return only_row(planned(csv_file(_row_text(**cells)), actor))


def test_values_convert_into_the_indicators_unit(world, actor):
    row = plan_one(actor, indicator="final-energy", value="2,5", unit="MWh")

    assert row.outcome == imports.Outcome.CREATE
    assert (row.value_canonical, row.canonical_unit) == (9.0, "GJ")
    assert row.new_values()["value"] == 2.5
    assert row.new_values()["unit"] == "MWh"


@pytest.mark.parametrize(("unit", "names"), [("kg", "kg into GJ"), ("kW", "kW into GJ")])
def test_units_of_another_dimension_are_refused_with_both_named(world, actor, unit, names):
    row = plan_one(actor, indicator="final-energy", unit=unit)

    assert row.outcome == imports.Outcome.REFUSED
    assert names in reasons(row)
    assert "MWh" in reasons(row)  # the units it would accept


def test_kg_into_mwh_is_refused(world, actor):
    factories.IndicatorFactory(code="electricity", unit="MWh", quantity_kind="final_energy")

    row = plan_one(actor, indicator="electricity", unit="kg")

    assert "Cannot convert kg into MWh" in reasons(row)


@pytest.mark.parametrize(
    ("code", "unit", "given"),
    [
        # Five chargers are not 500 %.
        ("charger-share", "%", "count"),
        # CO2 alone is not all greenhouse gases.
        ("ghg-per-capita", "t CO2e/person", "kg CO2/person"),
        ("ghg-total", "kt CO2e", "kt CO2"),
    ],
)
def test_counts_and_co2_alone_are_not_converted(world, actor, code, unit, given):
    factories.IndicatorFactory(code=code, unit=unit, quantity_kind="share")

    row = plan_one(actor, indicator=code, unit=given, value="5")

    assert f"Cannot convert {given} into {unit}" in reasons(row)


def test_co2_equivalents_convert_among_themselves(world, actor):
    factories.IndicatorFactory(
        code="ghg-per-capita", unit="t CO2e/person", quantity_kind="intensity"
    )

    row = plan_one(actor, indicator="ghg-per-capita", unit="kg CO2e/person", value="5300")

    assert row.value_canonical == 5.3


def test_an_unknown_unit_is_refused_with_the_accepted_ones(world, actor):
    row = plan_one(actor, unit="tons")

    assert "Unknown unit “tons”" in reasons(row)
    assert "kt CO2" in reasons(row)


@pytest.mark.parametrize(
    ("value", "says"),
    [("NaN", "NaN"), ("inf", "Infinity"), ("1e400", "beyond"), ("1e308", "beyond")],
)
def test_values_that_are_no_finite_number_are_refused(world, actor, value, says):
    # 1e308 is a double, but 1e308 MWh are 3.6e308 GJ, which is not.
    row = plan_one(actor, indicator="final-energy", unit="MWh", value=value)

    assert row.outcome == imports.Outcome.REFUSED
    assert says in reasons(row)


def test_negative_energy_is_refused_but_negative_emissions_are_not(world, actor):
    energy = plan_one(actor, indicator="final-energy", unit="GJ", value="-5")
    emissions = plan_one(actor, value="-5")

    assert "cannot be negative" in reasons(energy)
    assert emissions.outcome == imports.Outcome.CREATE


@pytest.mark.parametrize(
    ("year", "says"),
    [
        ("1899", "outside 1900–2100"),
        ("2101", "outside"),
        ("20x1", "not a year"),
        ("", "not a year"),
    ],
)
def test_years_outside_the_range_are_refused(world, actor, year, says):
    row = plan_one(actor, year=year)

    assert says in reasons(row)


def test_a_huge_place_reference_is_cut_short_in_the_plan(world, actor):
    row = plan_one(actor, place_id="E" * 100_000)

    assert row.outcome == imports.Outcome.REFUSED
    assert len(row.place) == 200 and row.place.endswith("…")


def test_a_year_still_to_come_is_refused_as_a_target(world, actor):
    this_year = timezone.now().year

    now = plan_one(actor, year=str(this_year))
    later = plan_one(actor, year=str(this_year + 1))

    assert now.outcome == imports.Outcome.CREATE, now.reasons
    assert "is a target, not a measurement" in reasons(later)


def test_a_notation_stands_for_a_missing_value(world, actor):
    row = plan_one(actor, value="", notation="c", unit="")

    assert row.outcome == imports.Outcome.CREATE, row.reasons
    assert (row.notation, row.number, row.unit) == ("C", None, "kt CO2")


@pytest.mark.parametrize(
    ("value", "notation", "says"),
    [
        ("5", "NR", "not both"),
        ("", "", "Give a value, or a notation"),
        ("", "XX", "not a notation"),
    ],
)
def test_a_value_and_a_notation_or_neither_are_refused(world, actor, value, notation, says):
    row = plan_one(actor, value=value, notation=notation)

    assert says in reasons(row)


def test_methods_and_verifications_are_glossary_values(world, actor):
    row = plan_one(actor, method="Metered", verification="third_party_verified")
    wrong = plan_one(actor, method="guessed", verification="trusted")

    assert (row.method, row.verification) == ("metered", "third_party_verified")
    assert "not a method" in reasons(wrong)
    assert "not a verification" in reasons(wrong)


def test_unknown_indicators_sources_and_derived_indicators_are_refused(world, actor):
    factories.IndicatorFactory(code="gb-co2-domestic-per-person", unit="t CO2/person")

    unknown = plan_one(actor, indicator="nope", source="nowhere")
    derived = plan_one(actor, indicator="gb-co2-domestic-per-person", unit="t CO2/person")

    assert "No indicator has the code “nope”" in reasons(unknown)
    assert "No source has the slug “nowhere”" in reasons(unknown)
    assert "computed from gb-co2-domestic-total and population" in reasons(derived)


def test_nasty_text_is_refused_or_kept_never_an_error(world, actor):
    long_name = "ß" * 10_000
    row = plan_one(
        actor, place_scheme="", place_id="", place_name=long_name, country="GB", note="🌍 ok"
    )
    invisible = plan_one(actor, note="a\u200bb\ufeff ")

    assert "No place in GB is called so" in reasons(row)
    assert row.note == "🌍 ok"
    assert invisible.note == "ab"


# Planning: places --------------------------------------------------------------------------------


def test_places_are_found_by_name_in_any_script(world, actor):
    korea = factories.CountryFactory(code="KR", name="South Korea")
    ethiopia = factories.CountryFactory(code="ET", name="Ethiopia")
    seoul = factories.PlaceFactory(name="Seoul", slug="seoul", country=korea)
    factories.PlaceNameFactory(place=seoul, name="서울")
    addis = factories.PlaceFactory(name="አዲስ አበባ", slug="addis-ababa", country=ethiopia)
    sao_paulo = factories.PlaceFactory(
        name="São Paulo", slug="sao-paulo", country=factories.CountryFactory(code="BR")
    )
    text = "place_name,country,indicator,year,value,unit,source\n"
    text += "서울,kr,gb-co2-total,2021,1,kt CO2,uk-emissions\n"
    text += "አዲስ አበባ,ET,gb-co2-total,2021,1,kt CO2,uk-emissions\n"
    text += "SAO PAULO,BR,gb-co2-total,2021,1,kt CO2,uk-emissions\n"

    rows = planned(csv_file(text), actor).rows

    assert [row.place_slug for row in rows] == [seoul.slug, addis.slug, sao_paulo.slug]
    assert all(row.outcome == imports.Outcome.CREATE for row in rows)


def test_a_name_shared_by_two_places_is_refused_unless_the_subdivision_decides(world, actor):
    factories.PlaceFactory(name="Wildpoldsried", slug="wildpoldsried-2", country=world["de"])
    cells = {"place_scheme": "", "place_id": "", "place_name": "wildpoldsried", "country": "DE"}

    ambiguous = plan_one(actor, **cells)
    decided = plan_one(actor, **cells, subdivision="de-by")

    assert "2 places in DE are called so (wildpoldsried, wildpoldsried-2)" in reasons(ambiguous)
    assert decided.place_slug == "wildpoldsried"


def test_unknown_places_and_countries_are_refused(world, actor):
    nowhere = plan_one(actor, place_scheme="", place_id="", place_name="Atlantis", country="GB")
    no_country = plan_one(actor, place_scheme="", place_id="", place_name="Atlantis", country="")
    bad_country = plan_one(actor, place_scheme="", place_id="", place_name="Atlantis", country="ZZ")
    bad_scheme = plan_one(actor, place_scheme="osm", place_id="1")
    unknown_id = plan_one(actor, place_id="E99999999")

    assert "No place in GB is called so" in reasons(nowhere)
    assert "Give the country" in reasons(no_country)
    assert "“ZZ” is not a country code" in reasons(bad_country)
    assert "not a place identifier scheme" in reasons(bad_scheme)
    assert "No place has the gb-gss identifier “E99999999”" in reasons(unknown_id)


def test_an_identifier_may_carry_its_scheme_and_must_agree_with_a_given_name(world, actor):
    combined = plan_one(actor, place_scheme="", place_id="gb-gss/e08000003")
    agreeing = plan_one(actor, place_name="MANCHESTER", country="GB")
    other_name = plan_one(actor, place_name="Liverpool")
    other_country = plan_one(actor, country="DE")

    assert combined.place_slug == agreeing.place_slug == "manchester"
    assert "not also called" in reasons(other_name)
    assert "not in DE" in reasons(other_country)


# Planning: outcomes -------------------------------------------------------------------------------


def test_updates_show_old_and_new_values_and_identical_rows_are_unchanged(world, actor):
    stored = factories.MeasurementFactory(
        place=world["manchester"],
        indicator=world["co2"],
        source=world["source"],
        year=2021,
        value=1.0,
        unit="kt CO2",
        verification="self_reported",
    )
    same = plan_one(actor)
    changed = plan_one(actor, value="2", verification="secretariat_reviewed")

    assert (same.outcome, same.measurement) == (imports.Outcome.UNCHANGED, stored.pk)
    assert changed.outcome == imports.Outcome.UPDATE
    assert changed.changes == {
        "value": [1.0, 2.0],
        "value_canonical": [1.0, 2.0],
        "verification": ["self_reported", "secretariat_reviewed"],
    }


def test_empty_method_verification_and_note_keep_what_is_stored(world, actor):
    factories.MeasurementFactory(
        place=world["manchester"],
        indicator=world["co2"],
        source=world["source"],
        year=2021,
        value=1.0,
        unit="kt CO2",
        method="metered",
        verification="third_party_verified",
        note="From the meter.",
    )

    corrected = plan_one(actor, value="2")
    new = plan_one(actor, year="2022")

    assert set(corrected.changes) == {"value", "value_canonical"}
    assert (corrected.method, corrected.verification, corrected.note) == (
        "metered",
        "third_party_verified",
        "From the meter.",
    )
    assert (new.method, new.verification, new.note) == ("reported", "self_reported", "")


def test_a_key_twice_in_a_file_refuses_both_rows(world, actor):
    line = "gb-gss,E08000003,gb-co2-total,2021,{},kt CO2,uk-emissions\n"
    other_source = "gb-gss,E08000003,gb-co2-total,2021,3,kt CO2,curated\n"
    text = HEADER + "\n" + line.format(1) + other_source + line.format(2)

    first, second, third = planned(csv_file(text), actor).rows

    assert "Row 4 has the same place, indicator, year and source" in reasons(first)
    assert second.outcome == imports.Outcome.CREATE
    assert "Row 2 has the same" in reasons(third)


def test_planning_asks_the_same_number_of_queries_for_3_and_30_places(world, actor):
    def file_of(count: int) -> SimpleUploadedFile:
        lines = [HEADER.replace("place_scheme,place_id", "place_name,country")]
        for n in range(count):
            place = factories.PlaceFactory(name=f"Town {count}-{n}", country=world["gb"])
            factories.MeasurementFactory(
                place=place, indicator=world["co2"], source=world["source"], year=2021
            )
            lines.append(f"Town {count}-{n},GB,gb-co2-total,2021,{n},kt CO2,uk-emissions")
        return csv_file("\n".join(lines) + "\n")

    counts = []
    for count in (3, 30):
        table = imports.read(file_of(count))
        fresh = get_user_model().objects.get(pk=actor.pk)  # no permissions cached
        with CaptureQueriesContext(connection) as queries:
            result = imports.plan(table, fresh)
        assert not result.refused
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_only_holders_of_the_permission_may_import(world):
    nobody = get_user_model().objects.create(username="nobody")
    table = imports.read(csv_file(_row_text()))

    with pytest.raises(PermissionDenied):
        imports.plan(table, nobody)
    with pytest.raises(PermissionDenied):
        imports.prepare(csv_file(_row_text()), nobody)


def test_the_curators_group_holds_the_import_permission(world):
    curators = Group.objects.get(name="Curators")
    member = get_user_model().objects.create(username="member")
    member.groups.add(curators)
    superuser = get_user_model().objects.create(username="root", is_superuser=True)

    assert curators.permissions.filter(codename="import_measurement").exists()
    assert not imports.plan(imports.read(csv_file(_row_text())), member).refused
    assert not imports.plan(imports.read(csv_file(_row_text())), superuser).refused


# Committing ---------------------------------------------------------------------------------------


def _mixed_file(world) -> SimpleUploadedFile:
    factories.MeasurementFactory(
        place=world["manchester"],
        indicator=world["co2"],
        source=world["source"],
        year=2020,
        value=5.0,
        unit="kt CO2",
    )
    factories.MeasurementFactory(
        place=world["manchester"],
        indicator=world["co2"],
        source=world["source"],
        year=2019,
        value=4.0,
        unit="kt CO2",
    )
    text = HEADER + ",notation\n"
    text += "gb-gss,E08000003,gb-co2-total,2021,6,kt CO2,uk-emissions,\n"
    text += "gb-gss,E08000003,gb-co2-total,2020,5500,t CO2,uk-emissions,\n"
    text += "gb-gss,E08000003,gb-co2-total,2019,4,kt CO2,uk-emissions,\n"
    text += "de-ags,09780147,final-energy,2021,,,curated,NE\n"
    return csv_file(text)


def _stored_values() -> set[tuple]:
    return set(
        Measurement.objects.values_list(
            "place__slug", "indicator__code", "year", "value_canonical", "notation"
        )
    )


def test_the_commit_writes_what_the_dry_run_showed(world, actor):
    batch = imports.prepare(_mixed_file(world), actor)
    dry_run = [(row["row"], row["outcome"], row["changes"]) for row in batch.changes]

    committed = imports.commit_batch(batch.pk, actor)

    assert committed.status == ImportStatus.COMMITTED
    assert [(row["row"], row["outcome"], row["changes"]) for row in committed.changes] == dry_run
    assert (committed.created_count, committed.updated_count, committed.unchanged_count) == (
        2,
        1,
        1,
    )
    assert _stored_values() == {
        ("manchester", "gb-co2-total", 2021, 6.0, ""),
        ("manchester", "gb-co2-total", 2020, 5.5, ""),
        ("manchester", "gb-co2-total", 2019, 4.0, ""),
        ("wildpoldsried", "final-energy", 2021, None, "NE"),
    }
    updated = Measurement.objects.get(year=2020)
    assert (updated.value, updated.unit) == (5500.0, "t CO2")


def test_history_keeps_who_when_and_the_old_and_new_values(world, actor):
    batch = imports.commit_batch(imports.prepare(_mixed_file(world), actor).pk, actor)

    batch.refresh_from_db()
    update = next(row for row in batch.changes if row["outcome"] == "update")
    assert update["changes"]["value"] == [5.0, 5500.0]
    assert update["changes"]["unit"] == ["kt CO2", "t CO2"]
    assert (batch.created_by, batch.committed_by) == (actor, actor)
    assert batch.committed_at is not None
    assert batch.file_name == "values.csv"
    assert len(batch.checksum) == 64
    assert bytes(batch.content).startswith(b"place_scheme")


def test_a_file_with_a_refused_row_writes_nothing(world, actor):
    text = HEADER + "\ngb-gss,E08000003,gb-co2-total,2021,6,kt CO2,uk-emissions\n"
    text += "gb-gss,E08000003,gb-co2-total,2022,6,MWh,uk-emissions\n"
    before = _stored_values()

    batch = imports.prepare(csv_file(text), actor)
    with pytest.raises(imports.ImportRefused):
        imports.commit_batch(batch.pk, actor)
    with pytest.raises(imports.ImportRefused, match="1 row is refused"):
        dry_run = imports.plan(imports.read(csv_file(text)), actor)
        imports.commit(dry_run, actor)

    assert batch.status == ImportStatus.REFUSED
    assert batch.refused_count == 1
    assert bytes(batch.content) == b""
    assert _stored_values() == before


def test_a_failure_while_writing_leaves_nothing_written(world, actor, monkeypatch):
    batch = imports.prepare(_mixed_file(world), actor)
    before = _stored_values()

    def broken(pairs):
        raise RuntimeError("storing the standings failed")

    monkeypatch.setattr(services, "refresh_standings", broken)
    with pytest.raises(RuntimeError):
        imports.commit_batch(batch.pk, actor)

    assert _stored_values() == before
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DRY_RUN


def test_a_commit_after_the_stored_data_changed_is_refused(world, actor):
    batch = imports.prepare(_mixed_file(world), actor)
    Measurement.objects.filter(year=2019).update(value=4.5, value_canonical=4.5)
    before = _stored_values()

    with pytest.raises(imports.StoredDataChanged, match="changed since the dry run"):
        imports.commit_batch(batch.pk, actor)

    assert _stored_values() == before
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DRY_RUN
    # Its plan is the dry run done again: committing it now writes what it shows.
    assert (
        batch.fingerprint
        == imports.plan(
            imports.read_content(batch.file_name, bytes(batch.content)), actor
        ).fingerprint
    )
    imports.commit_batch(batch.pk, actor)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED


def test_a_measurement_added_since_the_dry_run_refuses_the_commit(world, actor):
    batch = imports.prepare(_mixed_file(world), actor)
    factories.MeasurementFactory(
        place=world["manchester"], indicator=world["co2"], source=world["source"], year=2021
    )

    with pytest.raises(imports.StoredDataChanged):
        imports.commit_batch(batch.pk, actor)


def test_derived_values_follow_an_import(actor):
    germany = factories.CountryFactory(code="DE", name="Germany")
    town = factories.PlaceFactory(name="Wildpoldsried", country=germany)
    factories.PlaceIdentifierFactory(place=town, scheme="de-ags", value="09780147")
    factories.IndicatorFactory(code="de-co2-total", unit="kt CO2", quantity_kind="emissions")
    population = factories.IndicatorFactory(code="population", unit="person")
    factories.MeasurementFactory(
        place=town,
        indicator=population,
        source=factories.SourceFactory(slug="de-population"),
        year=2021,
        value=2_500,
        unit="person",
    )
    factories.SourceFactory(slug="klimawatch")
    text = HEADER + "\nde-ags,09780147,de-co2-total,2021,10,kt CO2,klimawatch\n"

    imports.commit_batch(imports.prepare(csv_file(text), actor).pk, actor)

    derived = Measurement.objects.get(indicator__code="de-co2-per-person", place=town)
    assert derived.value_canonical == pytest.approx(10_000 / 2_500)

    text = text.replace(",10,", ",20,")
    imports.commit_batch(imports.prepare(csv_file(text), actor).pk, actor)

    derived.refresh_from_db()
    assert derived.value_canonical == pytest.approx(20_000 / 2_500)


def test_a_second_commit_of_one_batch_imports_once(world, actor):
    batch = imports.prepare(_mixed_file(world), actor)
    imports.commit_batch(batch.pk, actor)
    count = Measurement.objects.count()

    with pytest.raises(imports.AlreadyImported, match="already imported"):
        imports.commit_batch(batch.pk, actor)

    assert Measurement.objects.count() == count


def test_import_now_commits_or_records_the_refusal(world, actor):
    good = imports.import_now(csv_file(_row_text()), actor)
    bad = imports.import_now(csv_file(_row_text(year="1800")), actor)

    assert good.status == ImportStatus.COMMITTED
    assert bad.status == ImportStatus.REFUSED
    assert Measurement.objects.filter(year=2021).count() == 1


def test_an_unreadable_file_is_recorded_as_refused(world, actor, settings):
    settings.IMPORT_MAX_BYTES = 100

    with pytest.raises(imports.FileRefused) as refusal:
        imports.prepare(csv_file(HEADER + "\n" + "x" * 200), actor)

    batch = refusal.value.batch
    assert batch.status == ImportStatus.REFUSED
    assert "at most 100" in batch.message
    assert ImportBatch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_commits_at_once_import_once_and_tell_the_other_why(monkeypatch):
    actor = importer("first")
    second_actor = importer("second")
    gb = factories.CountryFactory(code="GB")
    manchester = factories.PlaceFactory(name="Manchester", country=gb)
    factories.PlaceIdentifierFactory(place=manchester, scheme="gb-gss", value="E08000003")
    factories.IndicatorFactory(code="gb-co2-total", unit="kt CO2", quantity_kind="emissions")
    factories.SourceFactory(slug="uk-emissions")
    batch = imports.prepare(csv_file(_row_text()), actor)

    # Hold the lock a while after the batch is read, so that the second request must wait.
    original_write = imports._write

    def slow_write(rows):
        time.sleep(0.3)
        original_write(rows)

    monkeypatch.setattr(imports, "_write", slow_write)
    start = threading.Barrier(2)
    outcomes = []

    def commit(user):
        start.wait()
        try:
            imports.commit_batch(batch.pk, user)
            outcomes.append("committed")
        except imports.AlreadyImported:
            outcomes.append("already")
        except imports.ImportBusy:
            outcomes.append("busy")
        finally:
            connection.close()

    threads = [threading.Thread(target=commit, args=(user,)) for user in (actor, second_actor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # PostgreSQL's second request waits for the row lock; SQLite's waits for the write lock
    # (or, when the first holds it longer than SQLite waits, is told to try again).
    if connection.vendor == "postgresql":
        assert sorted(outcomes) == ["already", "committed"]
    else:
        assert sorted(outcomes) in (["already", "committed"], ["busy", "committed"])
    assert Measurement.objects.filter(indicator__code="gb-co2-total").count() == 1


def test_a_national_statistic_takes_values_of_its_own_country_only(world, actor):
    world["co2"].country = world["gb"]
    world["co2"].save()

    british = plan_one(actor)
    german = plan_one(actor, place_scheme="de-ags", place_id="09780147")
    anywhere = plan_one(
        actor, place_scheme="de-ags", place_id="09780147", indicator="final-energy", unit="GJ"
    )

    assert british.outcome == imports.Outcome.CREATE
    assert german.outcome == imports.Outcome.REFUSED
    assert "gb-co2-total holds values of places in GB only; Wildpoldsried is in DE." in reasons(
        german
    )
    assert anywhere.outcome == imports.Outcome.CREATE
