"""A planned demo convoy and ready travel documents, so a movement officer signing in to the demo has work to do."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.choices import CaseStatus
from cases.demo import demo_case_ids
from cases.models import Case
from travel import services
from travel.choices import BookingStatus, TravelDocumentStatus
from travel.models import Booking, Movement, TravelDocument

DEMO_CARRIER = "Transportes del Pacífico (demo)"
DEMO_OFFICERS = {"MX": "movement_mx", "CR": "movement_cr"}  # the movement officer of each registration country
READY_STATUSES = [CaseStatus.APPROVED, CaseStatus.BOOKED, CaseStatus.IN_TRANSIT]


@transaction.atomic
def demo_travel_ensure(*, offices) -> None:
    """Ready documents for the demo's approved and booked households (Mexico, Costa Rica); one planned convoy
    Tijuana -> San Pedro Sula."""
    officers = {country: User.objects.get(username=name) for country, name in DEMO_OFFICERS.items()}
    officer = officers["MX"]
    demo = demo_case_ids()
    cases = Case.objects.filter(pk__in=demo, status__in=READY_STATUSES,
                                registration_country__in=officers).prefetch_related("members")
    for case in cases:
        for member in case.members.all():
            if not TravelDocument.objects.filter(member=member, status=TravelDocumentStatus.READY).exists():
                services.travel_document_record(actor=officers[case.registration_country], member_id=member.pk, data={
                    "type": "consular_document", "number": f"CE-{member.pk:06d}", "status": "ready",
                    "issuing_consulate": "Consulado (demo)", "issued_on": date.today() - timedelta(days=2),
                    "expires_on": date.today() + timedelta(days=365)})
    convoy = Movement.objects.filter(carrier=DEMO_CARRIER).first() or demo_convoy_create(officer, offices)
    demo_booked_seat(convoy, officer, demo)


def demo_convoy_create(officer, offices) -> Movement:
    departure = (timezone.localtime() + timedelta(days=7)).replace(hour=6, minute=0, second=0, microsecond=0)
    return services.movement_create(actor=officer, data={
        "mode": "bus", "carrier": DEMO_CARRIER, "vehicle": "Autobús 12", "departure_office": offices["TIJ"],
        "departure_place": "Central de autobuses de Tijuana", "departure_at": departure,
        "reception_centre": offices["HN-SPS"], "capacity": 40, "notes": "demo"},
        legs=[{"crossing_point": "Ciudad Hidalgo – Tecún Umán", "expected_at": departure + timedelta(days=3)},
              {"crossing_point": "Agua Caliente", "expected_at": departure + timedelta(days=4)}])


def demo_booked_seat(convoy: Movement, officer, demo: list[int]) -> None:
    """The demo's booked household bound for Honduras (placed there by a shortcut) holds its seats on the convoy."""
    booked = Case.objects.filter(pk__in=demo, status=CaseStatus.BOOKED, reception_centre=convoy.reception_centre,
                                 registration_country=convoy.country).exclude(bookings__status=BookingStatus.BOOKED)
    for case in booked:
        taken = set(convoy.bookings.filter(status=BookingStatus.BOOKED).values_list("seat", flat=True))
        free = (seat for seat in range(1, convoy.capacity + 1) if seat not in taken)
        Booking.objects.bulk_create([Booking(movement=convoy, case=case, member=member, seat=next(free),
                                             booked_by=officer) for member in case.members.order_by("id")])
