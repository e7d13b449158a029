"""Households at each step of screening, made through the real services (shared by API, page and browser tests)."""

from datetime import date

from cases.models import Case
from cases.registration import MemberInput
from screening import services
from tests.factories import household

TOPICS = ["country_situation", "alternatives", "consequences", "assistance"]


def family(*, actor, programme, office, **registered):
    """A mother, a father and their son of eight, registered at `office` (on 19 November 2018 unless `intake_date`)."""
    people = [
        MemberInput(given_names="Ana Lucía", family_names="Reyes Paz", sex="female", date_of_birth=date(1991, 5, 2),
                    nationality="HN", place_of_origin="Choloma", relationship="principal", document_type="passport",
                    document_number=f"H{office.code}0001"),
        MemberInput(given_names="Jorge", family_names="Mejía Cruz", sex="male", date_of_birth=date(1988, 1, 20),
                    nationality="HN", place_of_origin="Choloma", relationship="spouse"),
        MemberInput(given_names="Kevin", family_names="Mejía Reyes", sex="male", date_of_birth=date(2017, 7, 9),
                    nationality="HN", place_of_origin="Choloma", relationship="child"),
    ]
    return household(actor=actor, programme=programme, office=office, people=people, **registered)


def on_or_after_intake(day: date, case) -> date:
    """The step's usual date, or the intake day for a household registered later (a record never predates it)."""
    return max(day, Case.objects.get(pk=case.pk).intake_date)


def lone_child(*, actor, programme, office):
    people = [MemberInput(given_names="Brayan", family_names="Flores", sex="male", date_of_birth=date(2010, 2, 3),
                          nationality="HN", place_of_origin="Choloma", relationship="principal")]
    return household(actor=actor, programme=programme, office=office, people=people)


def counsel(case, actor, outcome="wishes_to_return", topics=TOPICS):
    return services.counselling_session_record(actor=actor, case_id=case.pk, data={
        "held_on": on_or_after_intake(date(2018, 11, 20), case), "language": "español", "topics": topics, "outcome": outcome,
        "questions": "¿Me dan dinero para el bus?", "notes": "Quiere volver con su madre."})


def screen(member, actor, fear=False, narrative="", vulnerabilities=(), version=None):
    return services.member_screening_save(
        actor=actor, member_id=member.pk, expected_version=version,
        protection={"fear_of_return": fear, "narrative": narrative, "screened_on": on_or_after_intake(date(2018, 11, 20), member.case)},
        vulnerabilities=list(vulnerabilities), fitness=None)


def declare(member, actor):
    return services.declaration_record(actor=actor, member_id=member.pk, signed_on=on_or_after_intake(date(2018, 11, 21), member.case),
                                       witness="Sor Juana Inés")


def ready_for_submission(case, actor):
    """Counselled, every member screened, every adult's declaration signed."""
    from cases.people import is_adult

    counsel(case, actor)
    for member in case.members.all():
        screen(member, actor)
        if is_adult(member):
            declare(member, actor)
    case.refresh_from_db()
    return case
