"""The donor report's numbers, each table one SQL aggregation in the database (never a loop over people).

Every query counts people (members), filtered by programme (or all) and by the period the stage happened in:
registered (intake date), counselled (a session held), approved (the approval event), returned (on board when the
movement actually left: the report's facts, reports.facts), received (checked in as arrived). Who returned is also
crossed two dimensions at a time (CROSS_TABS); the one-dimension tables of who returned are those cross-tabs'
margins, so that suppression can treat the same number alike wherever it is published.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connections
from django.utils import timezone

from avr.dates import local_midnight

AGE_BANDS = [("0-4", 0, 4), ("5-11", 5, 11), ("12-17", 12, 17), ("18-24", 18, 24), ("25-59", 25, 59), ("60+", 60, 200)]
AGE_BAND_SQL = "CASE " + " ".join(
    f"WHEN {{age}} BETWEEN {low} AND {high} THEN '{band}'" for band, low, high in AGE_BANDS) + " ELSE 'unknown' END"


@dataclass
class Table:
    """One table of the report: rows of dimension values and a count (and, for money, an amount)."""

    name: str
    dimensions: list[str]
    rows: list[dict] = field(default_factory=list)
    # Tables whose rows split one population add up to a total, which suppression must protect from subtraction.
    has_total: bool = True
    # A one-dimension table that is a cross-tab's margin: (the cross-tab's name, "rows" or "columns"). It publishes
    # the same numbers, so it is suppressed with that margin (reports.suppression.suppress_tables).
    margin_of: tuple[str, str] | None = None


@dataclass
class CrossTab(Table):
    """Two dimensions crossed: a cell (a row in `rows`) for every row value and column value, zeros too; the row
    totals, column totals and grand total are added by suppression, which protects them with the cells."""

    row_values: list = field(default_factory=list)
    column_values: list = field(default_factory=list)


@dataclass
class Period:
    start: date
    end: date
    programme_id: int | None
    db: str = "default"  # the database read: the report's whole run reads one (avr.replica's reporting alias)

    def params(self) -> dict:
        """Date bounds for date columns, and the same days in the site's time zone for timestamps."""
        end_excl = self.end + timedelta(days=1)
        return {"start": self.start, "end_excl": end_excl, "programme": self.programme_id,
                "start_at": local_midnight(self.start), "end_at": local_midnight(end_excl),
                "tz": timezone.get_current_timezone_name()}



PROGRAMME = "(%(programme)s::bigint IS NULL OR c.programme_id = %(programme)s::bigint)"

# Who returned, counted from the facts written when their movement left (reports.facts): by the time it actually
# left, with the age, office and country of that day, so a past period's numbers never move.
FACT_PERIOD = ("f.departed_at >= %(start_at)s AND f.departed_at < %(end_at)s "
               "AND (%(programme)s::bigint IS NULL OR f.programme_id = %(programme)s::bigint)")

STAGE_SQL = {
    "registered": f"""
        SELECT count(*) FROM cases_member m JOIN cases_case c ON c.id = m.case_id
        WHERE c.intake_date >= %(start)s AND c.intake_date < %(end_excl)s AND {PROGRAMME}""",
    "counselled": f"""
        SELECT count(*) FROM cases_member m JOIN cases_case c ON c.id = m.case_id
        WHERE {PROGRAMME} AND EXISTS (SELECT 1 FROM screening_counsellingsession s WHERE s.case_id = c.id
                                      AND s.held_on >= %(start)s AND s.held_on < %(end_excl)s)""",
    "approved": f"""
        SELECT count(*) FROM cases_member m JOIN cases_case c ON c.id = m.case_id
        WHERE {PROGRAMME} AND EXISTS (SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id
                                      AND e.to_status = 'approved' AND e.from_status = 'pending_approval'
                                      AND e.at >= %(start_at)s AND e.at < %(end_at)s)""",
    "returned": "SELECT count(*) FROM reports_returnfact f WHERE " + FACT_PERIOD,
    "received": f"""
        SELECT count(*) FROM reception_checkin ci JOIN cases_member m ON m.id = ci.member_id
        JOIN cases_case c ON c.id = m.case_id
        WHERE ci.arrived AND ci.at >= %(start_at)s AND ci.at < %(end_at)s AND {PROGRAMME}""",
}

RETURNED_DIMENSIONS = ["sex", "age_band", "nationality", "country_of_return", "office", "transport_mode",
                       "child_status"]
# The cross-tabulations donors ask for (rows, columns); each one-dimension table above is the margin of one of them.
CROSS_TABS = [("sex", "age_band"), ("child_status", "transport_mode"), ("nationality", "sex"),
              ("office", "country_of_return")]
MARGIN_OF = {"sex": (0, "rows"), "age_band": (0, "columns"), "child_status": (1, "rows"),
             "transport_mode": (1, "columns"), "nationality": (2, "rows"), "office": (3, "rows"),
             "country_of_return": (3, "columns")}
FACT_COLUMNS = {"sex": "f.sex", "age_band": "f.age_band", "child_status": "f.child_status",
                "transport_mode": "f.transport_mode", "nationality": "f.nationality", "office": "o.code",
                "country_of_return": "f.country_of_return"}
CROSS_DIMENSIONS = list(FACT_COLUMNS)
CROSS_SQL = f"""
    SELECT {", ".join(FACT_COLUMNS.values())}, {", ".join(f"GROUPING({c})" for c in FACT_COLUMNS.values())}, count(*)
    FROM reports_returnfact f JOIN accounts_office o ON o.id = f.office_id
    WHERE {FACT_PERIOD}
    GROUP BY GROUPING SETS ({", ".join(f"({FACT_COLUMNS[a]}, {FACT_COLUMNS[b]})" for a, b in CROSS_TABS)})
"""

VULNERABILITY_SQL = f"""
    WITH registered AS (
        SELECT m.id, m.is_unaccompanied_child, m.is_separated_child FROM cases_member m
        JOIN cases_case c ON c.id = m.case_id
        WHERE c.intake_date >= %(start)s AND c.intake_date < %(end_excl)s AND {PROGRAMME})
    SELECT v.kind, count(*) FROM screening_vulnerability v JOIN registered r ON r.id = v.member_id GROUP BY v.kind
    UNION ALL SELECT 'unaccompanied_child', count(*) FROM registered WHERE is_unaccompanied_child
    UNION ALL SELECT 'separated_child', count(*) FROM registered WHERE is_separated_child
"""

ASSISTANCE_SQL = f"""
    SELECT a.kind, a.currency, count(DISTINCT a.member_id), count(*), sum(a.amount)
    FROM reception_assistance a JOIN cases_member m ON m.id = a.member_id JOIN cases_case c ON c.id = m.case_id
    WHERE a.given_at >= %(start_at)s AND a.given_at < %(end_at)s AND {PROGRAMME}
    GROUP BY a.kind, a.currency
"""

REFERRAL_SQL = f"""
    SELECT r.service, r.status, count(*)
    FROM reception_referral r JOIN cases_member m ON m.id = r.member_id JOIN cases_case c ON c.id = m.case_id
    WHERE r.sent_on >= %(start)s AND r.sent_on < %(end_excl)s AND {PROGRAMME}
    GROUP BY r.service, r.status
"""

EXITS_SQL = f"""
    SELECT e.to_status, count(*)
    FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id JOIN cases_member m ON m.case_id = c.id
    WHERE e.to_status IN ('withdrawn', 'no_show', 'referred_out') AND e.from_status <> e.to_status
      AND e.at >= %(start_at)s AND e.at < %(end_at)s AND {PROGRAMME}
    GROUP BY e.to_status
"""

WEEKLY_SQL = f"""
    SELECT date_trunc('week', f.departed_at AT TIME ZONE %(tz)s)::date AS week, count(*)
    FROM reports_returnfact f WHERE {FACT_PERIOD}
    GROUP BY 1 ORDER BY 1
"""

MEDIAN_SQL = f"""
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f.days_from_registration), count(*)
    FROM reports_returnfact f WHERE {FACT_PERIOD}
"""

# Every query the report runs, in order: the benchmark times these bare next to the whole report.
ALL_SQL = [*STAGE_SQL.values(), CROSS_SQL, VULNERABILITY_SQL, ASSISTANCE_SQL, REFERRAL_SQL, EXITS_SQL,
           WEEKLY_SQL, MEDIAN_SQL]


def fetch(sql: str, period: Period) -> list[tuple]:
    with connections[period.db].cursor() as cursor:
        cursor.execute(sql, period.params())
        return cursor.fetchall()


def pipeline_table(period: Period) -> Table:
    rows = [{"stage": stage, "count": fetch(sql, period)[0][0]} for stage, sql in STAGE_SQL.items()]
    # Each stage is a share of the people registered, not a split of one population.
    return Table("pipeline", ["stage"], rows, has_total=False)


def cross_tab_name(rows: str, columns: str) -> str:
    return f"returned_by_{rows}_and_{columns}"


def cross_tabs(period: Period) -> list[CrossTab]:
    """The cross-tabulations of who returned, from one scan of the facts with GROUPING SETS; every cell of the grid,
    zeros too, the values ordered as in the one-dimension tables."""
    found: dict[frozenset, dict] = {frozenset(pair): {} for pair in CROSS_TABS}
    width = len(CROSS_DIMENSIONS)
    for row in fetch(CROSS_SQL, period):
        values, grouping, count = row[:width], row[width:2 * width], row[-1]
        grouped = {d: v for d, v, g in zip(CROSS_DIMENSIONS, values, grouping) if g == 0}
        found[frozenset(grouped)][tuple(sorted(grouped.items()))] = count
    tables = []
    for rows, columns in CROSS_TABS:
        counts = {(dict(key)[rows], dict(key)[columns]): n for key, n in found[frozenset((rows, columns))].items()}
        row_values = values_in_order(rows, counts, 0)
        column_values = values_in_order(columns, counts, 1)
        cells = [{rows: r, columns: c, "count": counts.get((r, c), 0)} for r in row_values for c in column_values]
        tables.append(CrossTab(cross_tab_name(rows, columns), [rows, columns], cells, row_values=row_values,
                               column_values=column_values))
    return tables


def values_in_order(dimension: str, counts: dict, axis: int) -> list:
    """Most people first (then by code); age bands young to old."""
    totals: dict = {}
    for key, n in counts.items():
        totals[key[axis]] = totals.get(key[axis], 0) + n
    if dimension == "age_band":
        bands = [band for band, _low, _high in AGE_BANDS] + ["unknown"]
        return sorted(totals, key=lambda v: bands.index(v) if v in bands else len(bands))
    return sorted(totals, key=lambda v: (-totals[v], str(v)))


def margin_tables(tables: list[CrossTab]) -> list[Table]:
    """Each breakdown of the people who returned by one dimension: a margin of one of the cross-tabs."""
    margins = []
    for dimension in RETURNED_DIMENSIONS:
        index, axis = MARGIN_OF[dimension]
        cross = tables[index]
        own = 0 if axis == "rows" else 1
        values = cross.row_values if axis == "rows" else cross.column_values
        rows = [{dimension: value, "count": sum(cell["count"] for cell in cross.rows
                                               if cell[cross.dimensions[own]] == value)} for value in values]
        margins.append(Table(f"returned_by_{dimension}", [dimension], rows, margin_of=(cross.name, axis)))
    return margins


def returned_tables(period: Period) -> list[Table]:
    """Every breakdown of the people who returned: by one dimension (the margins), then crossed."""
    crossed = cross_tabs(period)
    return [*margin_tables(crossed), *crossed]


def vulnerability_table(period: Period) -> Table:
    rows = [{"vulnerability": kind, "count": count} for kind, count in fetch(VULNERABILITY_SQL, period) if count]
    # One person may have several vulnerabilities: the rows do not add up to a population.
    return Table("vulnerabilities", ["vulnerability"], sorted(rows, key=lambda r: -r["count"]), has_total=False)


def assistance_tables(period: Period) -> list[Table]:
    items, money = Table("assistance", ["assistance"], has_total=False), Table(
        "transport_money", ["currency"], has_total=False)
    by_kind: dict[str, dict] = {}
    for kind, currency, people, count, amount in fetch(ASSISTANCE_SQL, period):
        row = by_kind.setdefault(kind, {"assistance": kind, "count": 0, "people": 0})
        row["count"] += count
        row["people"] += people
        if kind == "transport_money" and currency:
            money.rows.append({"currency": currency, "count": people, "amount": amount})
    items.rows = sorted(by_kind.values(), key=lambda r: -r["count"])
    return [items, money]


def referral_table(period: Period) -> Table:
    rows = [{"service": s, "outcome": st, "count": n} for s, st, n in fetch(REFERRAL_SQL, period)]
    return Table("referrals", ["service", "outcome"], sorted(rows, key=lambda r: (r["service"], r["outcome"])))


def exits_table(period: Period) -> Table:
    found = dict(fetch(EXITS_SQL, period))
    rows = [{"exit": name, "count": found.get(name, 0)} for name in ("withdrawn", "no_show", "referred_out")]
    return Table("exits", ["exit"], rows, has_total=False)


def weekly_table(period: Period) -> Table:
    # The weeks add up to the people returned, which the pipeline shows: a total to protect.
    return Table("returns_per_week", ["week"], [{"week": week, "count": n} for week, n in fetch(WEEKLY_SQL, period)])


def median_days(period: Period) -> tuple[float | None, int]:
    median, count = fetch(MEDIAN_SQL, period)[0]
    return median, count


def donor_tables(period: Period, progress=lambda share: None) -> list[Table]:
    """All the report's tables, in the order they are printed; `progress` hears the share done (0..1)."""
    from reports.followup import (
        follow_up_tables,  # it builds on this module's Table and Period
    )

    steps = [lambda: [pipeline_table(period)], lambda: returned_tables(period),
             lambda: [vulnerability_table(period)], lambda: assistance_tables(period),
             lambda: [referral_table(period)], lambda: [exits_table(period)], lambda: [weekly_table(period)],
             lambda: follow_up_tables(period)]
    tables = []
    for done, step in enumerate(steps, 1):
        tables += step()
        progress(done / len(steps))
    return tables
