"""The facts of everyone who boarded a movement before facts were written at departure (their state today: the
best there is; anonymised members kept their age at return)."""

from django.conf import settings
from django.db import migrations

AGE_BANDS = [("0-4", 0, 4), ("5-11", 5, 11), ("12-17", 12, 17), ("18-24", 18, 24), ("25-59", 25, 59), ("60+", 60, 200)]
DEPARTED = "COALESCE(mv.departed_at, mv.departure_at)"
AGE = f"COALESCE(m.age_at_return, date_part('year', age(({DEPARTED} AT TIME ZONE %(tz)s)::date, m.date_of_birth)))"
AGE_BAND = "CASE " + " ".join(f"WHEN {AGE} BETWEEN {low} AND {high} THEN '{band}'"
                              for band, low, high in AGE_BANDS) + " ELSE 'unknown' END"
BACKFILL_SQL = f"""
    INSERT INTO reports_returnfact (booking_id, programme_id, movement_id, departed_at, sex, age_band, nationality,
                                    child_status, office_id, country_of_return, transport_mode,
                                    days_from_registration)
    SELECT b.id, c.programme_id, mv.id, {DEPARTED}, m.sex, {AGE_BAND}, m.nationality,
           CASE WHEN {AGE} >= 18 THEN 'adult' WHEN m.is_unaccompanied_child THEN 'unaccompanied_child'
                ELSE 'accompanied_child' END,
           c.registering_office_id, c.destination_country, mv.mode,
           ({DEPARTED} AT TIME ZONE %(tz)s)::date - c.intake_date
    FROM travel_booking b JOIN travel_movement mv ON mv.id = b.movement_id
    JOIN cases_member m ON m.id = b.member_id JOIN cases_case c ON c.id = b.case_id
    WHERE b.status = 'boarded'
    ON CONFLICT (booking_id) DO NOTHING
"""


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL_SQL, {"tz": settings.TIME_ZONE})


def forget(apps, schema_editor):
    apps.get_model("reports", "ReturnFact").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0002_return_facts"),
        ("cases", "0020_case_provisional_reference_and_more"),
    ]

    operations = [migrations.RunPython(backfill, forget)]
