"""The report as data: the finalised tables (suppressed, with percentages) that every format renders."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings

from avr.replica import on_reporting_db
from reports.aggregates import CrossTab, Period, Table, donor_tables, median_days
from reports.suppression import suppress_tables, with_percentages


@dataclass
class ReportData:
    programme_code: str | None
    programme_name: str | None
    period_start: date
    period_end: date
    generated_at: datetime
    threshold: int
    tables: list[Table] = field(default_factory=list)
    median_days: float | None = None
    median_days_suppressed: bool = False

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def suppression_threshold(programme) -> int:
    if programme is not None and programme.suppression_threshold:
        return programme.suppression_threshold
    return settings.REPORT_SUPPRESSION_THRESHOLD


def donor_report_data(*, programme, period_start: date, period_end: date, generated_at: datetime,
                      progress=lambda share: None, suppressed: bool = True) -> ReportData:
    """The donor report's numbers; `suppressed=False` keeps exact counts (internal dashboards only)."""
    threshold = suppression_threshold(programme) if suppressed else 0

    def numbers(db: str):
        period = Period(period_start, period_end, programme.pk if programme else None, db)
        return donor_tables(period, progress), median_days(period)

    found, (median, count) = on_reporting_db(numbers)
    tables = [with_percentages(table) for table in suppress_tables(found, threshold)]
    return ReportData(programme_code=programme.code if programme else None,
                      programme_name=programme.name if programme else None, period_start=period_start,
                      period_end=period_end, generated_at=generated_at, threshold=threshold, tables=tables,
                      median_days=median, median_days_suppressed=0 < count < threshold)


def report_json(data: ReportData) -> dict:
    """The JSON format: each table a list of rows with the dimension values, `count` and `percent`; each cross-tab
    its cells (every row value with every column value), row totals, column totals and total."""
    from reports.suppression import shown_count, shown_people

    def row_json(row: dict) -> dict:
        shown = {key: value for key, value in row.items() if key not in ("suppressed",)}
        shown["count"] = shown_count(row, data.threshold)
        if "people" in shown:
            shown["people"] = shown_people(row, data.threshold)
        if "amount" in shown:
            shown["amount"] = None if row.get("suppressed") else str(row["amount"])
        if "score" in shown:
            shown["score"] = None if row.get("suppressed") else row["score"]
        if isinstance(shown.get("week"), date):
            shown["week"] = shown["week"].isoformat()
        return shown

    def cross_json(table) -> dict:
        rows, columns = table.dimensions
        return {"rows": rows, "columns": columns, "cells": [row_json(cell) for cell in table.rows],
                "row_totals": [row_json(row) for row in table.row_totals],
                "column_totals": [row_json(row) for row in table.column_totals],
                "total": shown_count({"count": table.total, "suppressed": table.total_suppressed}, data.threshold)}

    crossed = [table for table in data.tables if isinstance(table, CrossTab)]
    return {
        "programme": data.programme_code, "period_start": data.period_start.isoformat(),
        "period_end": data.period_end.isoformat(), "generated_at": data.generated_at.isoformat(),
        "suppression_threshold": data.threshold,
        "median_days_registration_to_departure": None if data.median_days_suppressed else data.median_days,
        "tables": {table.name: [row_json(row) for row in table.rows] for table in data.tables
                   if not isinstance(table, CrossTab)},
        "cross_tabs": {table.name: cross_json(table) for table in crossed},
    }
