"""Donor report benchmark: the whole report next to the bare SQL it needs, and its PDF (targets: ≤ 1.5× and ≤ 2 s).

`run(results)` works in the bench database. The generator makes cases and people only; the first run here gives the
cases already past departure a journey in bulk (movements, boarded bookings, arrivals, a little assistance and a few
referrals), so the report's travel and reception tables have a realistic volume, and the report's facts of who
returned (reports.facts, written at departure in the application) for every boarded booking that has none.
The report timed includes its four cross-tabs and their joint suppression. Standalone: `python -m bench.reports`.
"""

import statistics
import time
from datetime import date

RUNS = 5
RATIO_TARGET = 1.5
PDF_TARGET_S = 2.0
MOVEMENT_PREFIX = "BENCH-RPT-"
PERIOD = (date(2018, 1, 1), date(2019, 12, 31))

JOURNEYS_SQL = [
    # One bus a week per booth and reception centre (every fifth a flight), for the cases that have left.
    f"""INSERT INTO travel_movement (reference, mode, carrier, vehicle, departure_office_id, departure_place,
            departure_at, reception_centre_id, country, capacity, status, notes, created_by_id, created_at,
            updated_at, version)
        SELECT '{MOVEMENT_PREFIX}' || g.office || '-' || g.centre || '-' || to_char(g.week, 'YYYYMMDD'),
               CASE WHEN (g.centre + extract(week FROM g.week)::int) % 5 = 0 THEN 'flight' ELSE 'bus' END,
               'Bench', '', g.office, '', g.week + interval '4 weeks', g.centre, g.country, 400, 'departed', '',
               (SELECT min(id) FROM accounts_user), now(), now(), 1
        FROM (SELECT DISTINCT c.registering_office_id AS office, c.reception_centre_id AS centre,
                     c.registration_country AS country, date_trunc('week', c.intake_date)::date AS week
              FROM cases_case c
              WHERE c.status IN ('in_transit', 'arrived', 'closed') AND c.reception_centre_id IS NOT NULL) g
        ON CONFLICT (reference) DO NOTHING""",
    f"""INSERT INTO travel_booking (movement_id, case_id, member_id, seat, status, booked_by_id, booked_at,
            boarded_at)
        SELECT mv.id, c.id, m.id, row_number() OVER (PARTITION BY mv.id ORDER BY m.id), 'boarded', c.created_by_id,
               now(), mv.departure_at
        FROM cases_case c JOIN cases_member m ON m.case_id = c.id
        JOIN travel_movement mv ON mv.reference = '{MOVEMENT_PREFIX}' || c.registering_office_id || '-' ||
             c.reception_centre_id || '-' || to_char(date_trunc('week', c.intake_date)::date, 'YYYYMMDD')
        WHERE c.status IN ('in_transit', 'arrived', 'closed')""",
    """INSERT INTO reception_checkin (booking_id, member_id, arrived, at, by_id, reason)
        SELECT b.id, b.member_id, true, b.boarded_at + interval '2 days', b.booked_by_id, ''
        FROM travel_booking b JOIN cases_case c ON c.id = b.case_id WHERE c.status IN ('arrived', 'closed')""",
    """INSERT INTO reception_assistance (member_id, centre_id, kind, amount, currency, note, given_at, given_by_id,
            request_key)
        SELECT ci.member_id, c.reception_centre_id, k.kind, CASE WHEN k.kind = 'transport_money' THEN 500 END,
               CASE WHEN k.kind = 'transport_money' THEN 'HNL' ELSE '' END, '', ci.at, ci.by_id, 'bench-' || k.kind
        FROM reception_checkin ci JOIN cases_member m ON m.id = ci.member_id JOIN cases_case c ON c.id = m.case_id
        CROSS JOIN (VALUES ('hygiene_kit'), ('transport_money'), ('food')) AS k(kind)""",
]


def log(message: str) -> None:
    print(message, flush=True)


def journeys_ensure() -> None:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM travel_movement WHERE reference LIKE %s)", [MOVEMENT_PREFIX + "%"])
        if cursor.fetchone()[0]:
            return
    log("  giving the departed bench cases their journeys (once)...")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no audit triggers on bulk bench data
        for sql in JOURNEYS_SQL:
            cursor.execute(sql)
    with connection.cursor() as cursor:
        for table in ("travel_movement", "travel_booking", "reception_checkin", "reception_assistance"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def facts_ensure() -> None:
    """The facts of the bench's returns, once (a database migrated before facts existed got them by the backfill)."""
    from django.db import connection, transaction

    from reports.facts import return_facts_record

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM reports_returnfact f JOIN travel_movement mv "
                       "ON mv.id = f.movement_id WHERE mv.reference LIKE %s)", [MOVEMENT_PREFIX + "%"])
        if cursor.fetchone()[0]:
            return
    log("  writing the report's facts of the bench's returns (once)...")
    with transaction.atomic():
        return_facts_record(movement_id=None)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_returnfact")


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def bare_sql(period) -> None:
    from django.db import connection

    from reports.aggregates import ALL_SQL

    with connection.cursor() as cursor:
        for sql in ALL_SQL:
            cursor.execute(sql, period.params())
            cursor.fetchall()


def run(results: dict) -> dict:
    from django.utils import timezone

    from reports.aggregates import Period
    from reports.data import donor_report_data
    from reports.formats import render

    journeys_ensure()
    facts_ensure()
    period = Period(*PERIOD, None)
    bare_sql(period)  # warm the cache for both sides alike
    bare, whole, pdf = [], [], []
    data = None
    for _ in range(RUNS):
        bare.append(timed(lambda: bare_sql(period))[0])
        seconds, data = timed(lambda: donor_report_data(programme=None, period_start=PERIOD[0],
                                                        period_end=PERIOD[1], generated_at=timezone.now()))
        whole.append(seconds)
        pdf.append(timed(lambda: render(data, "pdf"))[0])
    row = {"runs": RUNS, "bare_sql_p50_s": round(statistics.median(bare), 3),
           "report_p50_s": round(statistics.median(whole), 3), "pdf_p50_s": round(statistics.median(pdf), 2),
           "pdf_max_s": round(max(pdf), 2), "returned": data.table("pipeline").rows[3]["count"],
           "cross_tab_cells": sum(len(t.rows) for t in data.tables if t.name.startswith("returned_by_")
                                  and len(t.dimensions) == 2)}
    row["ratio"] = round(row["report_p50_s"] / row["bare_sql_p50_s"], 2)
    row["ok"] = row["ratio"] <= RATIO_TARGET and row["pdf_max_s"] <= PDF_TARGET_S
    results["donor_report"] = row
    log(f"  {'donor report, all programmes, 2018-2019':<48} bare SQL p50 {row['bare_sql_p50_s']} s, report p50 "
        f"{row['report_p50_s']} s (x{row['ratio']}), PDF p50 {row['pdf_p50_s']} s, max {row['pdf_max_s']} s, "
        f"{row['cross_tab_cells']} cross-tab cells")
    return row


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avr.settings")
    django.setup()
    run({})
