"""The dashboards' case counts, read from `CaseCount` (kept by a trigger on cases_case), never from the case table.

A scope is a filter on the scope columns (cases.permissions.role_scope_q), which `CaseCount` has under the same
names, so the visibility rule and the counts cannot disagree on what a role covers.
"""

from django.db import connection, transaction
from django.db.models import Q, Sum

from cases.models import CaseCount

KEY = "programme_id, registering_office_id, registration_country, destination_country, reception_centre_id, status"
FOLD_LOCK = 7_301_001  # pg_advisory_xact_lock key: one fold at a time


def case_counts(*, scope: Q | None = None, by: tuple[str, ...] = ("programme__code",),
                using: str = "default") -> list[dict]:
    """How many cases per status and `by` columns within `scope` (None: every case, for admins); no personal data.
    `using` is the database read (the dashboards pass avr.replica's reporting alias)."""
    rows = CaseCount.objects.using(using).all()
    rows = rows if scope is None else rows.filter(scope)
    grouped = rows.order_by().values(*by, "status").annotate(cases=Sum("total")).filter(cases__gt=0)
    return [{**{k: row[k] for k in (*by, "status")}, "total": row["cases"],
             "group": tuple(row[column] for column in by)} for row in grouped]


@transaction.atomic
def case_counts_fold() -> int:
    """Fold the +1/-1 rows into one row per combination (beat, every minute); returns the rows left.

    One statement: the rows it deletes are those of its snapshot, so deltas committed meanwhile stay for the next.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])
        cursor.execute(f"WITH folded AS (DELETE FROM cases_casecount RETURNING {KEY}, total) "
                       f"INSERT INTO cases_casecount ({KEY}, total) SELECT {KEY}, sum(total) FROM folded "
                       f"GROUP BY {KEY} HAVING sum(total) <> 0")
        return cursor.rowcount


@transaction.atomic
def case_counts_rebuild() -> int:
    """Count every case again: after a bulk load that ran without triggers (the bench's COPY), or to check."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE cases_case IN SHARE MODE")  # writers wait; readers go on
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])
        cursor.execute("DELETE FROM cases_casecount")
        cursor.execute(f"INSERT INTO cases_casecount ({KEY}, total) SELECT {KEY}, count(*) FROM cases_case "
                       f"GROUP BY {KEY}")
        return cursor.rowcount
