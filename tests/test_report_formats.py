"""The donor report as PDF, XLSX and CSV: every table's numbers in every file, small counts hidden, no person in it."""

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from cases.models import Member
from reports import labels
from reports.aggregates import Table
from reports.charts import Bar, bar_chart
from reports.data import ReportData, donor_report_data
from reports.formats import pdf_section, render
from reports.suppression import suppress, with_percentages
from tests.test_reports import PERIOD, returned  # noqa: F401  (the known dataset, shared with test_reports)
from travel.models import Movement

pytestmark = pytest.mark.django_db

# The tables in the order every format prints them, with their dimensions.
TABLES = {
    "pipeline": ["stage"], "returned_by_sex": ["sex"], "returned_by_age_band": ["age_band"],
    "returned_by_nationality": ["nationality"], "returned_by_country_of_return": ["country_of_return"],
    "returned_by_office": ["office"], "returned_by_transport_mode": ["transport_mode"],
    "returned_by_child_status": ["child_status"], "vulnerabilities": ["vulnerability"], "assistance": ["assistance"],
    "transport_money": ["currency"], "referrals": ["service", "outcome"], "exits": ["exit"],
    "returns_per_week": ["week"],
    "follow_ups": ["follow_up"], "follow_up_scores_by_sex": ["score_dimension", "sex"],
    "follow_up_scores_by_age_band": ["score_dimension", "age_band"],
    "follow_up_scores_by_country_of_return": ["score_dimension", "country_of_return"],
}
# The cross-tabs, printed after the one-dimension tables of who returned (tests/test_report_crosstabs.py reads them).
CROSSED = ["returned_by_sex_and_age_band", "returned_by_child_status_and_transport_mode",
           "returned_by_nationality_and_sex", "returned_by_office_and_country_of_return"]
ORDER = [*list(TABLES)[:8], *CROSSED, *list(TABLES)[8:]]
# Nobody in the dataset agreed to be called after return: no follow-up is due, no score is shown.
NO_FOLLOW_UPS = {"follow_ups": {stage: ("0", None) for stage in ("due", "reached", "unreachable", "refused")},
                 "follow_up_scores_by_sex": {}, "follow_up_scores_by_age_band": {},
                 "follow_up_scores_by_country_of_return": {}}
WEEK = "the week the bus left"
STAGES = ["registered", "counselled", "approved", "returned", "received"]
ZERO_EXITS = {"withdrawn": ("0", None), "no_show": ("0", None), "referred_out": ("0", None)}


def hidden(threshold, *codes):
    return {code: (f"<{threshold}", None) for code in codes}


def expected_tables(threshold: int) -> dict:
    """The known dataset (a family of three and a girl alone, all returned and received) as each file must show it:
    code -> (count as printed, percent)."""
    if threshold == 5:  # every count of four people or fewer is hidden, totals too
        h = lambda *codes: hidden(5, *codes)  # noqa: E731
        return {
            "pipeline": h(*STAGES), "returned_by_sex": h("female", "male"),
            "returned_by_age_band": h("5-11", "12-17", "25-59"), "returned_by_nationality": h("HN"),
            "returned_by_country_of_return": h("HN"), "returned_by_office": h("TIJ"),
            "returned_by_transport_mode": h("bus"),
            "returned_by_child_status": h("adult", "accompanied_child", "unaccompanied_child"),
            "vulnerabilities": h("trafficking", "unaccompanied_child"),
            "assistance": h("hygiene_kit", "transport_money"), "transport_money": h("HNL"),
            "referrals": h("employment;sent"), "exits": ZERO_EXITS,
            "returns_per_week": h(WEEK), **NO_FOLLOW_UPS,
        }
    h = lambda *codes: hidden(2, *codes)  # noqa: E731
    return {  # threshold 2: only single people are hidden
        "pipeline": {stage: ("4", 100) for stage in STAGES},
        "returned_by_sex": {"female": ("2", 50), "male": ("2", 50)},
        "returned_by_age_band": {**h("5-11", "12-17"), "25-59": ("2", 50)},
        "returned_by_nationality": {"HN": ("4", 100)}, "returned_by_country_of_return": {"HN": ("4", 100)},
        "returned_by_office": {"TIJ": ("4", 100)}, "returned_by_transport_mode": {"bus": ("4", 100)},
        "returned_by_child_status": {"adult": ("2", 50), **h("accompanied_child", "unaccompanied_child")},
        "vulnerabilities": h("trafficking", "unaccompanied_child"), "assistance": h("hygiene_kit", "transport_money"),
        "transport_money": h("HNL"), "referrals": h("employment;sent"), "exits": ZERO_EXITS,
        "returns_per_week": {WEEK: ("4", 100)}, **NO_FOLLOW_UPS,
    }


def expected_totals(threshold: int) -> dict:
    shown = "<5" if threshold == 5 else "4"
    totals = {name: shown for name in TABLES if name.startswith("returned_by_") or name == "returns_per_week"}
    return {**totals, "referrals": f"<{threshold}"}  # one referral: hidden at either threshold


def report(caravan, threshold: int) -> ReportData:
    caravan.suppression_threshold = None if threshold == 5 else threshold  # None: the site's default, 5
    caravan.save()
    data = donor_report_data(programme=caravan, generated_at=timezone.now(), **PERIOD)
    assert data.threshold == threshold
    return data


def week_code() -> str:
    left = timezone.localtime(Movement.objects.get().departure_at).date()
    return (left - timedelta(days=left.weekday())).isoformat()


def with_week(tables: dict) -> dict:
    week = tables.pop("returns_per_week")
    tables["returns_per_week"] = {week_code(): cell for cell in week.values()}
    return tables


# CSV


def csv_rows(content: bytes) -> list[dict]:
    """The rows keyed by the English header's words (table, dimension, value, ...)."""
    assert content.startswith("\ufeff".encode())
    return [{key.lower(): value for key, value in row.items()}
            for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))]


def csv_tables(rows: list[dict]) -> tuple[dict, dict]:
    tables, totals = {}, {}
    for row in rows:
        if row["table"] not in TABLES:
            continue
        assert row["dimension"] == ";".join(TABLES[row["table"]])
        if row["value"] == "_total":
            totals[row["table"]] = row["count"]
        else:
            percent = int(row["percent"]) if row["percent"] else None
            tables.setdefault(row["table"], {})[row["value"]] = (row["count"], percent)
    return tables, totals


@pytest.mark.parametrize("threshold", [2, 5])
def test_the_csv_holds_every_table_with_small_counts_hidden(returned, caravan, threshold):  # noqa: F811
    data = report(caravan, threshold)

    with translation.override("en"):
        content, extension = render(data, "csv")

    rows = csv_rows(content)
    assert extension == "csv"
    assert list(rows[0]) == ["table", "dimension", "value", "count", "percent", "people", "amount", "mean score"]
    # every line as wide as the header: a short one would shift a machine reader's columns
    widths = {len(line) for line in csv.reader(io.StringIO(content.decode("utf-8-sig")))}
    assert widths == {8}
    tables, totals = csv_tables(rows)
    # a table with no row has no line in the CSV
    assert tables == {name: cells for name, cells in with_week(expected_tables(threshold)).items() if cells}
    assert totals == expected_totals(threshold)
    assert [r["table"] for r in rows if r["table"] in TABLES] == sorted(
        (r["table"] for r in rows if r["table"] in TABLES), key=list(TABLES).index)
    money = next(r for r in rows if r["table"] == "transport_money")
    assert (money["count"], money["amount"]) == (f"<{threshold}", "")  # 500 HNL paid to one person: not shown
    assert {r["value"]: r["people"] for r in rows if r["table"] == "assistance"} == {
        "hygiene_kit": f"<{threshold}", "transport_money": f"<{threshold}"}
    median = rows[-1]
    assert median["table"] == "median_days_registration_to_departure"
    assert median["count"] == ("<5" if threshold == 5 else "0")


# XLSX


def xlsx_tables(content: bytes) -> tuple[dict, dict, object]:
    book = load_workbook(io.BytesIO(content))
    notes, *sheets = book.worksheets
    assert len(sheets) == len(ORDER)
    tables, totals, total_label = {}, {}, str(labels.TEXTS["total"])
    for name, sheet in zip(ORDER, sheets):
        if name in CROSSED:
            continue
        width = len(TABLES[name])
        header, *lines = list(sheet.iter_rows(values_only=True))
        assert all(isinstance(value, str) for value in header)
        assert sheet["A1"].font.bold
        tables[name] = {}
        for line in lines:
            if line[0] == total_label:
                totals[name] = str(line[width])
                continue
            codes = [c.date().isoformat() if isinstance(c, datetime) else c for c in line[-width:]]
            percent = None if line[width + 1] is None else round(line[width + 1] * 100)
            tables[name][";".join(codes)] = (str(line[width]), percent)
    return tables, totals, book


@pytest.mark.parametrize("threshold", [2, 5])
def test_the_spreadsheet_has_a_sheet_per_table_with_small_counts_hidden(returned, caravan, threshold):  # noqa: F811
    data = report(caravan, threshold)

    with translation.override("en"):  # the spreadsheet speaks the language the report was asked in
        content, extension = render(data, "xlsx")

    with translation.override("en"):
        tables, totals, book = xlsx_tables(content)
    assert extension == "xlsx"
    assert tables == with_week(expected_tables(threshold))
    assert totals == expected_totals(threshold)
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert len({name.lower() for name in book.sheetnames}) == len(book.sheetnames)
    sex = book.worksheets[2]
    assert sex.cell(row=2, column=3).number_format == "0%"
    if threshold == 2:
        assert sex.cell(row=2, column=2).value == 2  # a number, not text
        assert sex.cell(row=2, column=3).value == 0.5
    notes = dict((row[0], row[1]) for row in book["Notes"].iter_rows(values_only=True))
    assert notes["Programme"] == "Caravans AVR 2018 (CARAVAN-2018)"
    assert notes["Suppression threshold"] == threshold
    assert notes["Median days from registration to departure"] == ("<5" if threshold == 5 else 0)


# PDF


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def loose(text: str) -> str:
    """A pattern for text that may wrap onto a second line."""
    return r"\s+".join(re.escape(word) for word in str(text).split())


def pdf_line(cells: list[str], shown: str) -> re.Pattern:
    """A table row: its labels, then the count with its percent, then whatever else the row shows."""
    return re.compile(rf"^{r'[ ]+'.join(loose(c) for c in cells)}[ ]+{re.escape(shown)}(?:[ ].*)?$", re.M)


def pdf_sections(text: str) -> dict:
    """The text of each table, from its title to the next one's."""
    starts = []
    for name in ORDER:
        title = re.compile(rf"^{loose(labels.bilingual(labels.table_title, name))}$", re.M)
        found = title.search(text, starts[-1][1] if starts else 0)
        assert found, name
        starts.append((name, found.end()))
    ends = [start for _name, start in starts[1:]] + [len(text)]
    return {name: text[start:end] for (name, start), end in zip(starts, ends)}


@pytest.mark.parametrize("threshold", [2, 5])
def test_the_pdf_prints_every_table_in_both_languages_with_small_counts_hidden(returned, caravan, threshold):  # noqa: F811
    data = report(caravan, threshold)

    content, extension = render(data, "pdf")

    text = pdf_text(content)
    sections = pdf_sections(text)
    assert extension == "pdf"
    for name, cells in with_week(expected_tables(threshold)).items():
        for code, (count, percent) in cells.items():
            values = code.split(";")
            shown = count if percent is None else f"{count} ({percent}%)"
            row = [str(labels.bilingual(labels.value_label, d, v)) for d, v in zip(TABLES[name], values)]
            assert pdf_line(row, shown).search(sections[name]), (name, row, shown)
            wrong = "1" if threshold == 2 else "4"  # the hidden number itself never appears in its row
            if count.startswith("<"):
                assert not pdf_line(row, wrong).search(sections[name])
    for name, total in expected_totals(threshold).items():
        if name == "returns_per_week":
            continue  # printed in columns to keep it short; its total is the pipeline's people returned
        assert pdf_line([str(labels.bilingual(str, labels.TEXTS["total"]))], total).search(sections[name]), name
    median = "<5" if threshold == 5 else "0"
    assert re.search(loose(labels.bilingual(str, labels.TEXTS["median_days"])) + rf"[ ]+{re.escape(median)}$",
                     text, re.M)
    assert re.search(loose(labels.bilingual(labels.suppression_note, threshold).en), text)
    assert "Caravans AVR 2018 (CARAVAN-2018)" in text
    assert f"{PERIOD['period_start'].isoformat()} – {PERIOD['period_end'].isoformat()}" in text


def test_the_pdf_shows_every_label_in_spanish_and_english(returned, caravan):  # noqa: F811
    content, _extension = render(report(caravan, 2), "pdf")

    text = pdf_text(content)
    assert re.search(loose("Honduras") + r"[ ]+4 \(100%\)", text)
    assert re.search(loose("Mujer / Female") + r"[ ]+2 \(50%\)", text)  # translated already: both languages
    assert re.search(loose("Sexo / Sex"), text)


# Suppression by subtraction, and the charts


def sex_table(threshold: int, counts: dict) -> Table:
    table = Table("returned_by_sex", ["sex"], [{"sex": sex, "count": n} for sex, n in counts.items()])
    return with_percentages(suppress(table, threshold))


def one_table_report(table: Table, threshold: int) -> ReportData:
    return ReportData(programme_code=None, programme_name=None, period_start=date(2025, 1, 1),
                      period_end=date(2025, 3, 31), generated_at=timezone.now(), threshold=threshold, tables=[table])


def test_every_format_hides_a_second_cell_so_a_small_one_cannot_be_worked_out_from_the_total():
    # 1 person of unrecorded sex would be 71 - 30 - 40; the smallest other cell (30 women) is hidden with it
    data = one_table_report(sex_table(5, {"male": 40, "female": 30, None: 1}), 5)

    with translation.override("en"):
        csv_content, _ = render(data, "csv")
        xlsx_content, _ = render(data, "xlsx")
        pdf_content, _ = render(data, "pdf")

    rows = {r["value"]: (r["count"], r["percent"]) for r in csv_rows(csv_content) if r["table"] == "returned_by_sex"}
    assert rows == {"male": ("40", "56"), "female": ("<5", ""), "": ("<5", ""), "_total": ("71", "")}
    sheet = load_workbook(io.BytesIO(xlsx_content)).worksheets[1]
    assert [line[:3] for line in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("Male", 40, 0.56), ("Female", "<5", None), ("Not recorded", "<5", None), ("Total", 71, None)]
    text = pdf_text(pdf_content)
    female, unknown = (str(labels.bilingual(labels.value_label, "sex", sex)) for sex in ("female", None))
    assert pdf_line([female], "<5").search(text) and pdf_line([unknown], "<5").search(text)
    assert not pdf_line([female], "30").search(text) and not pdf_line([unknown], "1").search(text)
    assert pdf_line(["Total"], "71").search(text)


def test_a_hidden_bar_is_drawn_the_same_whatever_count_it_hides():
    one, four = (pdf_section(sex_table(5, {"male": 40, "female": n}), 5)["chart"] for n in (1, 4))

    assert re.sub(r"hatch\d+", "", one) == re.sub(r"hatch\d+", "", four)
    assert "&lt;5" in one


def test_chart_labels_are_escaped():
    chart = bar_chart([Bar(label='<script>alert("x")</script> & co', value=3, text="3")])

    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart and "&amp; co" in chart


# No person in any file


def personal_data() -> set[str]:
    found = set()
    for member in Member.objects.all():
        found |= {member.given_names, member.family_names, member.full_name}
        if member.document_number:
            found.add(member.document_number)
        if member.date_of_birth:
            born = member.date_of_birth
            found |= {born.isoformat(), born.strftime("%d/%m/%Y"), f"{born.day}/{born.month}/{born.year}"}
    return {value for value in found if value}


def xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


@pytest.mark.parametrize("threshold", [2, 5])
def test_no_file_holds_a_name_a_document_number_or_a_date_of_birth(returned, caravan, threshold):  # noqa: F811
    data = report(caravan, threshold)
    files = {"pdf": pdf_text(render(data, "pdf")[0]), "xlsx": xlsx_text(render(data, "xlsx")[0]),
             "csv": render(data, "csv")[0].decode("utf-8-sig")}
    secrets = personal_data()

    assert len(secrets) >= 15  # four people: names, a passport number, birth dates
    for fmt, text in files.items():
        assert text.strip(), fmt
        leaks = [value for value in secrets if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text)]
        assert leaks == [], fmt


@pytest.mark.parametrize("language, header", [
    ("en", ["Table", "Dimension", "Value", "Count", "Percent", "People", "Amount", "Mean score"]),
    ("es", ["Tabla", "Dimensión", "Valor", "Conteo", "Porcentaje", "Personas", "Monto", "Puntuación media"])])
def test_the_csv_header_is_in_the_language_the_report_was_asked_in(language, header):
    data = one_table_report(sex_table(5, {"male": 40, "female": 30}), 5)

    with translation.override(language):
        content, _extension = render(data, "csv")

    first = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert first == header
