"""The donor report's numbers, each table one SQL aggregation in the database (never a loop over people).

Every query counts people (members), filtered by programme (or all) and by the period the stage happened in:
registered (intake date), counselled (a session held), approved (the approval event), returned (boarded a movement
that left), received (checked in as arrived).
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
    "returned": f"""
        SELECT count(*) FROM travel_booking b JOIN travel_movement mv ON mv.id = b.movement_id
        JOIN cases_case c ON c.id = b.case_id
        WHERE b.status = 'boarded' AND COALESCE(mv.departed_at, mv.departure_at) >= %(start_at)s AND COALESCE(mv.departed_at, mv.departure_at) < %(end_at)s
          AND {PROGRAMME}""",
    "received": f"""
        SELECT count(*) FROM reception_checkin ci JOIN cases_member m ON m.id = ci.member_id
        JOIN cases_case c ON c.id = m.case_id
        WHERE ci.arrived AND ci.at >= %(start_at)s AND ci.at < %(end_at)s AND {PROGRAMME}""",
}

RETURNED_DIMENSIONS = ["sex", "age_band", "nationality", "country_of_return", "office", "transport_mode",
                       "child_status"]
# The age on the day of travel; an anonymised member's birth date keeps only its year, so the age was kept then.
RETURN_AGE = ("COALESCE(m.age_at_return, date_part('year', age("
              "(COALESCE(mv.departed_at, mv.departure_at) AT TIME ZONE %(tz)s)::date, m.date_of_birth)))")
RETURNED_SQL = f"""
    WITH returned AS (
        SELECT m.sex, m.nationality, c.destination_country AS country_of_return, o.code AS office,
               mv.mode AS transport_mode,
               {AGE_BAND_SQL.format(age=RETURN_AGE)} AS age_band,
               CASE WHEN {RETURN_AGE} >= 18 THEN 'adult'
                    WHEN m.is_unaccompanied_child THEN 'unaccompanied_child'
                    ELSE 'accompanied_child' END AS child_status
        FROM travel_booking b JOIN travel_movement mv ON mv.id = b.movement_id
        JOIN cases_member m ON m.id = b.member_id JOIN cases_case c ON c.id = b.case_id
        JOIN accounts_office o ON o.id = c.registering_office_id
        WHERE b.status = 'boarded' AND COALESCE(mv.departed_at, mv.departure_at) >= %(start_at)s AND COALESCE(mv.departed_at, mv.departure_at) < %(end_at)s
          AND {PROGRAMME})
    SELECT {", ".join(RETURNED_DIMENSIONS)}, {", ".join(f"GROUPING({d})" for d in RETURNED_DIMENSIONS)}, count(*)
    FROM returned
    GROUP BY GROUPING SETS ({", ".join(f"({d})" for d in RETURNED_DIMENSIONS)})
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
    SELECT date_trunc('week', COALESCE(mv.departed_at, mv.departure_at) AT TIME ZONE %(tz)s)::date AS week, count(*)
    FROM travel_booking b JOIN travel_movement mv ON mv.id = b.movement_id JOIN cases_case c ON c.id = b.case_id
    WHERE b.status = 'boarded' AND COALESCE(mv.departed_at, mv.departure_at) >= %(start_at)s AND COALESCE(mv.departed_at, mv.departure_at) < %(end_at)s AND {PROGRAMME}
    GROUP BY 1 ORDER BY 1
"""

MEDIAN_SQL = f"""
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (COALESCE(mv.departed_at, mv.departure_at) AT TIME ZONE %(tz)s)::date - c.intake_date), count(*)
    FROM travel_booking b JOIN travel_movement mv ON mv.id = b.movement_id JOIN cases_case c ON c.id = b.case_id
    WHERE b.status = 'boarded' AND COALESCE(mv.departed_at, mv.departure_at) >= %(start_at)s AND COALESCE(mv.departed_at, mv.departure_at) < %(end_at)s AND {PROGRAMME}
"""

# Every query the report runs, in order: the benchmark times these bare next to the whole report.
ALL_SQL = [*STAGE_SQL.values(), RETURNED_SQL, VULNERABILITY_SQL, ASSISTANCE_SQL, REFERRAL_SQL, EXITS_SQL,
           WEEKLY_SQL, MEDIAN_SQL]


def fetch(sql: str, period: Period) -> list[tuple]:
    with connections[period.db].cursor() as cursor:
        cursor.execute(sql, period.params())
        return cursor.fetchall()


def pipeline_table(period: Period) -> Table:
    rows = [{"stage": stage, "count": fetch(sql, period)[0][0]} for stage, sql in STAGE_SQL.items()]
    # Each stage is a share of the people registered, not a split of one population.
    return Table("pipeline", ["stage"], rows, has_total=False)


def returned_tables(period: Period) -> list[Table]:
    """Every breakdown of the people who returned, from one scan with GROUPING SETS."""
    tables = {d: Table(f"returned_by_{d}", [d]) for d in RETURNED_DIMENSIONS}
    width = len(RETURNED_DIMENSIONS)
    for row in fetch(RETURNED_SQL, period):
        values, grouping, count = row[:width], row[width:2 * width], row[-1]
        dimension = next(d for d, g in zip(RETURNED_DIMENSIONS, grouping) if g == 0)
        tables[dimension].rows.append({dimension: values[RETURNED_DIMENSIONS.index(dimension)], "count": count})
    for table in tables.values():
        table.rows.sort(key=lambda r: (-r["count"], str(r[table.dimensions[0]])))
    bands = [band for band, _low, _high in AGE_BANDS] + ["unknown"]
    tables["age_band"].rows.sort(key=lambda r: bands.index(r["age_band"]))
    return list(tables.values())


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
