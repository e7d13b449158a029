"""The report's facts of who returned, written once when a movement departs (see reports.models.ReturnFact).

The age, the child status, the registering office and the country of return are those of the day of travel: the
donor report of a past period reads these rows, never the case and member as they are today.
"""

from django.db import connection
from django.utils import timezone

from reports.aggregates import AGE_BAND_SQL

# The age on the day of travel; an anonymised member's birth date keeps only its year, so the age was kept then.
DEPARTED = "COALESCE(mv.departed_at, mv.departure_at)"
AGE = f"COALESCE(m.age_at_return, date_part('year', age(({DEPARTED} AT TIME ZONE %(tz)s)::date, m.date_of_birth)))"

FACTS_SQL = f"""
    INSERT INTO reports_returnfact (booking_id, programme_id, movement_id, departed_at, sex, age_band, nationality,
                                    child_status, office_id, country_of_return, transport_mode,
                                    days_from_registration)
    SELECT b.id, c.programme_id, mv.id, {DEPARTED}, m.sex, {AGE_BAND_SQL.format(age=AGE)}, m.nationality,
           CASE WHEN {AGE} >= 18 THEN 'adult' WHEN m.is_unaccompanied_child THEN 'unaccompanied_child'
                ELSE 'accompanied_child' END,
           c.registering_office_id, c.destination_country, mv.mode,
           ({DEPARTED} AT TIME ZONE %(tz)s)::date - c.intake_date
    FROM travel_booking b JOIN travel_movement mv ON mv.id = b.movement_id
    JOIN cases_member m ON m.id = b.member_id JOIN cases_case c ON c.id = b.case_id
    WHERE b.status = 'boarded' AND (%(movement)s::bigint IS NULL OR b.movement_id = %(movement)s::bigint)
    ON CONFLICT (booking_id) DO NOTHING
"""


def return_facts_record(*, movement_id: int | None) -> int:
    """One fact per person boarded on the movement (every movement: None), each written once; how many were new."""
    with connection.cursor() as cursor:
        cursor.execute(FACTS_SQL, {"movement": movement_id, "tz": timezone.get_current_timezone_name()})
        return cursor.rowcount
