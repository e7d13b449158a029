"""Households on their way to a reception centre, made through the real services (shared by reception tests)."""

from datetime import date, timedelta

from cases.registration import MemberInput
from screening import services as screening_services
from tests.factories import household
from tests.screening_steps import counsel, screen
from tests.travel_steps import approved, convoy, documents_ready
from travel import services as travel_services


def departed(movement, officer, cases):
    """Book the households, confirm, and leave with everyone on board."""
    for case in cases:
        travel_services.case_book(actor=officer, movement_id=movement.pk, case_id=case.pk)
    travel_services.movement_transition(actor=officer, movement_id=movement.pk, to="confirmed")
    day_of_travel(movement)
    boarded = [m.pk for case in cases for m in case.members.all()]
    travel_services.movement_transition(actor=officer, movement_id=movement.pk, to="departed", boarded=boarded)
    for case in cases:
        case.refresh_from_db()
    movement.refresh_from_db()
    return movement


def day_of_travel(movement) -> None:
    """The day of travel has come: the movement leaves within the hour (departures are recorded when they happen)."""
    from django.utils import timezone

    from travel.models import Movement

    Movement.objects.filter(pk=movement.pk).update(departure_at=timezone.now() + timedelta(minutes=30))
    movement.refresh_from_db()


def child_alone(*, caseworker, supervisor, programme, office, **registered):
    """An unaccompanied girl of fifteen, screened, with a best-interests decision for return, approved."""
    from cases.services import case_transition

    case = household(actor=caseworker, programme=programme, office=office, people=[MemberInput(
        given_names="Dayana", family_names="Paz", sex="female", date_of_birth=date(2011, 4, 1), nationality="HN",
        place_of_origin="Choloma", relationship="principal")], **registered)
    counsel(case, caseworker)
    child = case.members.get()
    screen(child, caseworker)
    screening_services.best_interests_save(actor=caseworker, member_id=child.pk, expected_version=None, data={
        "responsible_authority": "DIF Tijuana", "guardian_name": "PPNNA", "child_views": "Volver con su abuela",
        "options_considered": "Retorno", "outcome": "return", "decided_on": date(2018, 11, 19),
        "guardian_consent": True, "guardian_consent_on": date(2018, 11, 19)})
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    case_transition(case_id=case.pk, to="approved", actor=supervisor)
    case.refresh_from_db()
    return case


__all__ = ["approved", "convoy", "documents_ready", "departed", "child_alone", "day_of_travel"]
