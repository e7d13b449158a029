"""The donor report as a file: PDF (bilingual, with SVG charts), XLSX (one sheet per table) or CSV (all tables).

Every format prints only what `ReportData` holds: counts per category, already suppressed. Nothing here reads the
database, so no name, document number or date of birth can reach a file.

CSV layout, for machines: one file, UTF-8 with a byte-order mark, a header in the report's language
(`Table,Dimension,Value,Count,Percent,People,Amount,Mean score` in English), one row per table row, codes as values (ISO dates for weeks).
- A table with two dimensions (referrals) joins them with ";": dimension `service;outcome`, value `employment;sent`.
- A table with a total ends with a row whose value is `_total`.
- `count` is "<5" (the threshold) when suppressed, and then `percent` and `amount` are empty and `people` "<5".
- `people` (assistance: people given it; "<5" when few) and `amount` (transport money, per currency) are empty in
  the other tables.
- A cross-tab (`returned_by_sex_and_age_band`, ...) has dimension `sex;age_band` and a row per cell, value
  `male;25-59`, zeros included; then its row totals (`male;_total`), its column totals (`_total;25-59`) with their
  percent of the whole, and its grand total (`_total`).
- `score` (the follow-up's mean scores, 0 to 1, with their n as the count) is empty when suppressed and in the
  other tables.
- The median days from registration to departure is the last row: table `median_days_registration_to_departure`,
  its value in `count` ("<5" when too few people left to show it, empty when nobody did).
"""

import io
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from avr.spreadsheets import csv_writer, workbook_bytes
from reports import labels
from reports.aggregates import CrossTab, Table
from reports.charts import Bar, bar_chart, column_chart
from reports.data import ReportData
from reports.suppression import SUPPRESSED, shown_count

EXTRA_MEASURES = ("people", "amount", "score")
# The tables drawn as a chart in the PDF (the others are tables only).
CHARTED = {"pipeline", "returned_by_sex", "returned_by_age_band", "returned_by_nationality",
           "returned_by_country_of_return", "returned_by_child_status"}
WEEKLY = "returns_per_week"
WEEK_COLUMNS = 4  # the weekly table is printed in this many side-by-side columns, to keep the PDF short


def render(data: ReportData, fmt: str) -> tuple[bytes, str]:
    """The report as the bytes of a file, and the file's extension."""
    renderers = {"pdf": report_pdf, "xlsx": report_xlsx, "csv": report_csv}
    if fmt not in renderers:
        raise ValueError(f"No such report format: {fmt}")
    return renderers[fmt](data), fmt


# What every format shows of a row


def suppressed_text(threshold: int) -> str:
    return SUPPRESSED.format(threshold=threshold)


def extra_measures(table: Table) -> list[str]:
    return [key for key in EXTRA_MEASURES if any(key in row for row in table.rows)]


def shown_extra(row: dict, key: str, threshold: int):
    """People are a count, hidden as "<5" with their row or when they alone are few; a hidden amount is None."""
    value = row.get(key)
    if key in ("amount", "score"):
        return None if row.get("suppressed") else value
    if value is not None and (row.get("suppressed") or 0 < value < threshold):
        return suppressed_text(threshold)
    return value


def shown_total(table: Table, threshold: int):
    if not table.has_total:
        return None
    return suppressed_text(threshold) if getattr(table, "total_suppressed", False) else getattr(table, "total", 0)


def shown_median(data: ReportData):
    """Whole days when whole, one decimal otherwise; "<5" when too few people left; None when nobody did."""
    if data.median_days_suppressed:
        return suppressed_text(data.threshold)
    if data.median_days is None:
        return None
    days = round(float(data.median_days), 1)
    return int(days) if days == int(days) else days


def programme_text(data: ReportData) -> str:
    if data.programme_code is None:
        return _("All programmes")
    return f"{data.programme_name} ({data.programme_code})"


def period_text(data: ReportData) -> str:
    return f"{data.period_start.isoformat()} – {data.period_end.isoformat()}"


def generated_text(data: ReportData) -> str:
    return timezone.localtime(data.generated_at).strftime("%Y-%m-%d %H:%M")


# PDF


class NoFetching(URLFetcher):
    """The report is all inline (text, CSS, SVG, fonts from the machine): refuse every URL."""

    def fetch(self, url, headers=None):
        raise ValueError(f"The donor report fetches nothing: {url}")


def report_pdf(data: ReportData) -> bytes:
    """A4, Spanish and English side by side, a chart for the main tables; fetches nothing from anywhere."""
    html = render_to_string("reports/pdf/donor_report.html", pdf_context(data))
    return HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()


def pdf_context(data: ReportData) -> dict:
    both = labels.bilingual
    median = shown_median(data)
    return {
        "title": both(str, labels.TEXTS["donor_report"]),
        "facts": [
            (both(str, labels.TEXTS["programme"]), str(both(programme_text, data))),
            (both(str, labels.TEXTS["period"]), period_text(data)),
            (both(str, labels.TEXTS["generated"]), generated_text(data)),
            (both(str, labels.TEXTS["median_days"]), "—" if median is None else str(median)),
        ],
        "note": both(labels.suppression_note, data.threshold) if data.threshold else None,
        "stable_note": both(str, labels.TEXTS["stable"]),
        "sections": [pdf_section(table, data.threshold) for table in data.tables],
        "no_rows": both(str, labels.TEXTS["no_rows"]),
    }


def pdf_section(table: Table, threshold: int) -> dict:
    if isinstance(table, CrossTab):
        return pdf_grid(table, threshold)
    names = BilingualValues()
    extras = extra_measures(table)
    rows = [{"labels": [names(dimension, row[dimension]) for dimension in table.dimensions],
             "count": count_with_percent(row, threshold),
             "extras": [pdf_extra(row, key, threshold) for key in extras]} for row in table.rows]
    headers = [str(labels.bilingual(labels.dimension_title, d)) for d in table.dimensions]
    headers.append(f"{labels.bilingual(labels.measure_title, table.name, 'count')} (%)")
    headers += [str(labels.bilingual(labels.measure_title, table.name, key)) for key in extras]
    total = shown_total(table, threshold)
    section = {"name": table.name, "title": labels.bilingual(labels.table_title, table.name), "headers": headers,
               "rows": rows, "total": None if total is None else str(total),
               "total_label": labels.bilingual(str, labels.TEXTS["total"]), "chart": None, "empty": not table.rows}
    if table.name == WEEKLY:
        section["week_columns"] = week_columns(rows)
        section["chart"] = column_chart(chart_bars(table, rows, threshold))
    elif table.name in CHARTED:
        section["chart"] = bar_chart(chart_bars(table, rows, threshold))
    return section


def pdf_grid(table: CrossTab, threshold: int) -> dict:
    """A cross-tab as a grid: a line per row value, a column per column value, totals (with their share) last."""
    names = BilingualValues()
    rows_dim, columns_dim = table.dimensions
    counts = {(c[rows_dim], c[columns_dim]): c for c in table.rows}
    total_label = labels.bilingual(str, labels.TEXTS["total"])
    corner = (f"{labels.bilingual(labels.dimension_title, rows_dim)} \\ "
              f"{labels.bilingual(labels.dimension_title, columns_dim)}")
    lines = [{"label": names(rows_dim, value),
              "cells": [str(shown_count(counts[(value, c)], threshold)) for c in table.column_values],
              "total": count_with_percent(margin, threshold)}
             for value, margin in zip(table.row_values, table.row_totals)]
    return {"name": table.name, "title": labels.bilingual(labels.table_title, table.name), "chart": None,
            "empty": not table.rows, "rows": lines,
            "grid": {"headers": [corner] + [names(columns_dim, v) for v in table.column_values] + [str(total_label)],
                     "total_label": total_label,
                     "totals": [count_with_percent(m, threshold) for m in table.column_totals],
                     "total": str(shown_total(table, threshold))}}


def count_with_percent(row: dict, threshold: int) -> str:
    """ "12 (34%)"; "<5" alone when suppressed; the count alone when there is no percent."""
    shown = shown_count(row, threshold)
    if row.get("suppressed") or row.get("percent") is None:
        return str(shown)
    return f"{shown} ({row['percent']}%)"


def pdf_extra(row: dict, key: str, threshold: int) -> str:
    value = shown_extra(row, key, threshold)
    if value is None:
        return "—"
    if key == "amount" and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(value):,.2f}"
    return str(value)


def chart_bars(table: Table, rows: list[dict], threshold: int) -> list[Bar]:
    return [Bar(label=" · ".join(shown["labels"]), value=None if row.get("suppressed") else row["count"],
                text=str(shown_count(row, threshold))) for row, shown in zip(table.rows, rows)]


def week_columns(rows: list[dict]) -> list[list[dict]]:
    """The weeks top to bottom, then left to right, in WEEK_COLUMNS columns of equal length."""
    columns = min(WEEK_COLUMNS, len(rows))
    height = -(-len(rows) // columns) if rows else 0
    return [[rows[i] if i < len(rows) else None for i in range(start, start + columns * height, height)]
            for start in range(height)]


class BilingualValues:
    """A value's label as "Spanish / English", each label translated once per table."""

    def __init__(self):
        self.seen = {}

    def __call__(self, dimension: str, value) -> str:
        key = (dimension, value)
        if key not in self.seen:
            self.seen[key] = str(labels.bilingual(labels.value_label, dimension, value))
        return self.seen[key]


# XLSX


def report_xlsx(data: ReportData) -> bytes:
    """A "Notes" sheet, then one sheet per table: labels in the report's language, numbers as numbers."""
    book = Workbook()
    notes_sheet(book.active, data)
    taken = {book.active.title.lower()}
    for table in data.tables:
        sheet = book.create_sheet(sheet_name(labels.table_title(table.name), taken))
        if isinstance(table, CrossTab):
            cross_sheet(sheet, table, data.threshold)
        else:
            table_sheet(sheet, table, data.threshold)
    return workbook_bytes(book)


def notes_sheet(sheet, data: ReportData) -> None:
    sheet.title = _("Notes")[:31]
    median = shown_median(data)
    rows = [
        (str(labels.TEXTS["donor_report"]), ""),
        (str(labels.TEXTS["programme"]), programme_text(data)),
        (str(labels.TEXTS["period"]), period_text(data)),
        (str(labels.TEXTS["generated"]), generated_text(data)),
        (_("Suppression threshold"), data.threshold),
        (str(labels.TEXTS["median_days"]), "—" if median is None else median),
    ]
    rows.append((_("Note"), str(labels.TEXTS["stable"])))
    if data.threshold:
        rows.append((_("Note"), labels.suppression_note(data.threshold)))
    for row in rows:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=13)
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 46
    sheet.column_dimensions["B"].width = 60
    for (cell,) in sheet.iter_rows(min_row=7, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True)


FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(title: str, taken: set[str]) -> str:
    """At most 31 characters, none Excel refuses, unique in the book (Excel compares without case)."""
    base = title.translate(FORBIDDEN_IN_SHEET_NAMES).strip(" '") or "Table"
    name, number = base[:31], 1
    while name.lower() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[:31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def table_sheet(sheet, table: Table, threshold: int) -> None:
    extras = extra_measures(table)
    sheet.append([labels.dimension_title(d) for d in table.dimensions]
                 + [labels.measure_title(table.name, "count"), labels.measure_title(table.name, "percent")]
                 + [labels.measure_title(table.name, key) for key in extras]
                 + [_("%(column)s (code)") % {"column": labels.dimension_title(d)} for d in table.dimensions])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        percent = None if row.get("percent") is None else row["percent"] / 100
        sheet.append([labels.value_label(d, row[d]) for d in table.dimensions]
                     + [shown_count(row, threshold), percent]
                     + [xlsx_number(shown_extra(row, key, threshold)) for key in extras]
                     + [row[d] for d in table.dimensions])
    total = shown_total(table, threshold)
    if total is not None:
        sheet.append([str(labels.TEXTS["total"])] + [""] * (len(table.dimensions) - 1) + [total])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    table_sheet_formats(sheet, table, extras)


def cross_sheet(sheet, table: CrossTab, threshold: int) -> None:
    """The cross-tab as a grid: a row per row value, a column per column value, the totals last with their share
    of the whole; the codes in the last row and column, for formulas."""
    rows_dim, columns_dim = table.dimensions
    counts = {(c[rows_dim], c[columns_dim]): c for c in table.rows}
    total_title, percent_title = str(labels.TEXTS["total"]), labels.measure_title(table.name, "percent")
    code_title = _("%(column)s (code)")
    sheet.append([f"{labels.dimension_title(rows_dim)} \\ {labels.dimension_title(columns_dim)}"]
                 + [labels.value_label(columns_dim, v) for v in table.column_values]
                 + [total_title, percent_title, code_title % {"column": labels.dimension_title(rows_dim)}])
    for value, margin in zip(table.row_values, table.row_totals):
        sheet.append([labels.value_label(rows_dim, value)]
                     + [shown_count(counts[(value, c)], threshold) for c in table.column_values]
                     + [shown_count(margin, threshold), share(margin), value])
    sheet.append([total_title] + [shown_count(m, threshold) for m in table.column_totals]
                 + [shown_total(table, threshold)])
    sheet.append([percent_title] + [share(m) for m in table.column_totals])
    sheet.append([code_title % {"column": labels.dimension_title(columns_dim)}] + list(table.column_values))
    cross_sheet_formats(sheet, table)


def share(row: dict):
    return None if row.get("percent") is None else row["percent"] / 100


def cross_sheet_formats(sheet, table: CrossTab) -> None:
    width, height = len(table.column_values), len(table.row_values)
    for cell in [*sheet[1], *sheet[height + 2]] + [row[0] for row in sheet.iter_rows(min_row=2)]:
        cell.font = Font(bold=True)
    for (cell,) in sheet.iter_rows(min_row=2, max_row=height + 1, min_col=width + 3, max_col=width + 3):
        cell.number_format = "0%"
    for cell in sheet[height + 3]:
        cell.number_format = "0%"
    sheet.column_dimensions["A"].width = 34
    for index in range(2, sheet.max_column + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "B2"


def table_sheet_formats(sheet, table: Table, extras: list[str]) -> None:
    width = len(table.dimensions)
    percent_column = width + 2
    for (cell,) in sheet.iter_rows(min_row=2, min_col=percent_column, max_col=percent_column):
        cell.number_format = "0%"
    if "amount" in extras:
        column = percent_column + 1 + extras.index("amount")
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "#,##0.00"
    for index in range(1, sheet.max_column + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 30 if index <= width else 16
    sheet.freeze_panes = "A2"


def xlsx_number(value):
    return float(value) if isinstance(value, Decimal) else value


# CSV

# Translated when the file is made, in the language the report was asked in.
CSV_HEADER = [gettext_lazy("Table"), gettext_lazy("Dimension"), gettext_lazy("Value"), gettext_lazy("Count"),
              gettext_lazy("Percent"), gettext_lazy("People"), gettext_lazy("Amount"), gettext_lazy("Mean score")]


def report_csv(data: ReportData) -> bytes:
    """Every table stacked in one CSV for machines: codes, not labels (see the module's docstring)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow([str(header) for header in CSV_HEADER])
    for table in data.tables:
        writer.writerows(csv_rows(table, data.threshold))
    median = shown_median(data)
    writer.writerow(["median_days_registration_to_departure", "", "", "" if median is None else median, "", "", "",
                     ""])
    return out.getvalue().encode("utf-8")


def csv_rows(table: Table, threshold: int) -> list[list]:
    if isinstance(table, CrossTab):
        return csv_cross_rows(table, threshold)
    dimension = ";".join(table.dimensions)
    rows = []
    for row in table.rows:
        value = ";".join(csv_code(row[d]) for d in table.dimensions)
        percent = "" if row.get("suppressed") or row.get("percent") is None else row["percent"]
        extras = [shown_extra(row, key, threshold) for key in EXTRA_MEASURES]
        rows.append([table.name, dimension, value, shown_count(row, threshold), percent,
                     *("" if v is None else v for v in extras)])
    total = shown_total(table, threshold)
    if total is not None:
        rows.append([table.name, dimension, "_total", total, "", "", "", ""])
    return rows


def csv_cross_rows(table: CrossTab, threshold: int) -> list[list]:
    rows_dim, columns_dim = table.dimensions
    dimension = f"{rows_dim};{columns_dim}"

    def line(value: str, row: dict) -> list:
        percent = "" if row.get("suppressed") or row.get("percent") is None else row["percent"]
        return [table.name, dimension, value, shown_count(row, threshold), percent, *[""] * len(EXTRA_MEASURES)]

    lines = [line(f"{csv_code(c[rows_dim])};{csv_code(c[columns_dim])}", c) for c in table.rows]
    lines += [line(f"{csv_code(r[rows_dim])};_total", r) for r in table.row_totals]
    lines += [line(f"_total;{csv_code(c[columns_dim])}", c) for c in table.column_totals]
    lines.append([table.name, dimension, "_total", shown_total(table, threshold), "", *[""] * len(EXTRA_MEASURES)])
    return lines


def csv_code(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
