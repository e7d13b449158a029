"""Approved households and movements, made through the real services (shared by travel tests)."""

from datetime import date, timedelta

from django.utils import timezone

from cases.services import case_transition
from tests.screening_steps import ready_for_submission
from travel import services


def approved(case, caseworker, supervisor):
    """Screened, submitted by the caseworker and approved by the supervisor."""
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    case_transition(case_id=case.pk, to="approved", actor=supervisor)
    case.refresh_from_db()
    return case


def documents_ready(case, actor, expires_in_days: int = 365):
    for member in case.members.all():
        services.travel_document_record(actor=actor, member_id=member.pk, data={
            "type": "consular_document", "number": f"CE-{member.pk:06d}", "issuing_consulate": "Consulado de "
            "Honduras en Tijuana", "issued_on": date.today() - timedelta(days=1),
            "expires_on": date.today() + timedelta(days=expires_in_days), "status": "ready"})


def convoy(officer, departure_office, centre, *, capacity=40, mode="bus", days_ahead=3):
    return services.movement_create(actor=officer, data={
        "mode": mode, "carrier": "Transportes del Pacífico", "vehicle": "Autobús 12",
        "departure_office": departure_office, "departure_place": "Garita El Chaparral",
        "departure_at": timezone.now() + timedelta(days=days_ahead), "reception_centre": centre,
        "capacity": capacity}, legs=[{"crossing_point": "Tecún Umán", "expected_at": timezone.now() +
                                      timedelta(days=days_ahead + 2)}])


def with_child_escort(movement, officer):
    """The movement with a child escort on board (children travel only with one)."""
    services.escort_add(actor=officer, movement_id=movement.pk, data={"name": "Lucía Gómez", "kind": "child"})
    return movement
