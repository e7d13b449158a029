"""Fictional households for the demo, spread over the pipeline so every role's home page has something."""

from datetime import date, timedelta

from django.db import transaction

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case, CaseEvent, Member
from cases.registration import ConsentInput, MemberInput, RegistrationInput, case_register

# office, destination, reception centre, status, [(given, family, sex, birth, nationality, relationship, doc)]
DEMO_HOUSEHOLDS = [
    ("TIJ", "HN", None, CaseStatus.REGISTERED, [
        ("María José", "Hernández López", "female", date(1990, 3, 14), "HN", "principal", "HN0001234"),
        ("Kevin Alexander", "Hernández", "male", date(2012, 7, 2), "HN", "child", ""),
        ("Daniela", "Hernández", "female", date(2016, 1, 20), "HN", "child", ""),
    ]),
    ("TIJ", "SV", None, CaseStatus.SCREENING, [
        ("José Luis", "Martínez Rivas", "male", date(1985, 11, 5), "SV", "principal", "SV0459812"),
    ]),
    ("TIJ", "HN", None, CaseStatus.PENDING_APPROVAL, [
        ("Wilmer", "Pineda Cruz", "male", date(1998, 6, 30), "HN", "principal", "HN0098765"),
        ("Yessenia", "Mejía", "female", date(1999, 2, 11), "HN", "spouse", "HN0098766"),
    ]),
    ("TIJ", "HN", "HN-SPS", CaseStatus.BOOKED, [
        ("Santos", "Reyes Maldonado", "male", date(1979, 9, 9), "HN", "principal", "HN0055501"),
    ]),
    ("TIJ", "SV", "SV-SS", CaseStatus.IN_TRANSIT, [
        ("Ana Gabriela", "Flores Portillo", "female", date(1993, 4, 18), "SV", "principal", "SV0077120"),
    ]),
    ("TAP", "GT", None, CaseStatus.APPROVED, [
        ("Edgar Rolando", "Xol Caal", "male", date(1988, 12, 1), "GT", "principal", "GT1122334"),
    ]),
    ("TAP", "GT", "GT-GUA", CaseStatus.BOOKED, [
        ("Rosa Amalia", "Tzul Chen", "female", date(1975, 8, 22), "GT", "principal", "GT5566778"),
    ]),
    ("TAP", "HN", None, CaseStatus.REGISTERED, [
        ("Carlos Eduardo", "Zelaya Amador", "male", date(2001, 10, 10), "HN", "principal", ""),
    ]),
    ("SJO", "NI", None, CaseStatus.REGISTERED, [
        ("Francisco Javier", "Sandino Téllez", "male", date(1987, 2, 17), "NI", "principal", "NI0301187"),
    ]),
    ("SJO", "NI", None, CaseStatus.PENDING_APPROVAL, [
        ("Karla Vanessa", "Ortiz Mairena", "female", date(1994, 9, 3), "NI", "principal", "NI0440912"),
        ("Josué David", "Ortiz", "male", date(2015, 5, 21), "NI", "child", ""),
    ]),
    ("SJO", "NI", None, CaseStatus.APPROVED, [
        ("Róger Antonio", "Espinoza Lacayo", "male", date(1979, 6, 12), "NI", "principal", "NI0129876"),
    ]),
    ("SJO", "NI", "NI-MGA", CaseStatus.BOOKED, [
        ("Jessica María", "Guevara Centeno", "female", date(1991, 1, 28), "NI", "principal", "NI0217733"),
    ]),
]

DEMO_PLACES = {"HN": "San Pedro Sula", "SV": "San Miguel", "GT": "Cobán", "NI": "León"}
# Where each demo booth registers: programme, caseworker, supervisor, intake date (within the programme's dates).
DEMO_BOOTHS = {
    "TIJ": ("CARAVAN-2018", "caseworker_tij", "supervisor_mx", date(2018, 11, 20)),
    "TAP": ("CARAVAN-2018", "caseworker_tap", "supervisor_mx", date(2018, 11, 20)),
    "SJO": ("NIC-2019", "caseworker_sjo", "supervisor_nic", date(2019, 6, 10)),
}


@transaction.atomic
def demo_cases_ensure(*, offices, programmes) -> int:
    """Create the demo households that do not exist yet; returns how many were created."""
    created = 0
    for office_code, destination, centre, status, people in DEMO_HOUSEHOLDS:
        principal = people[0]
        if Member.objects.filter(case__registering_office__code=office_code, given_names=principal[0],
                                 family_names=principal[1], date_of_birth=principal[3]).exists():
            continue
        programme, caseworker, supervisor, intake = DEMO_BOOTHS[office_code]
        caseworker, supervisor = User.objects.get(username=caseworker), User.objects.get(username=supervisor)
        members = [MemberInput(given_names=g, family_names=f, sex=s, date_of_birth=b, nationality=n, relationship=r,
                               document_type="passport" if doc else "", document_number=doc,
                               place_of_origin=DEMO_PLACES[n])
                   for g, f, s, b, n, r, doc in people]
        data = RegistrationInput(programme=programmes[programme], office=offices[office_code],
                                 destination_country=destination, members=members, how_heard="booth_outreach",
                                 consent=ConsentInput(type="explicit"), intake_date=intake)
        case = case_register(actor=caseworker, data=data, confirm_duplicates=True).case
        if status not in (CaseStatus.REGISTERED, CaseStatus.SCREENING):
            demo_screening_complete(case=case, actor=caseworker)
        demo_status_set(case=case, status=status, centre=offices.get(centre), actor=supervisor)
        created += 1
    return created


def demo_case_ids() -> list[int]:
    """The demo households (found by their principal, as when they are created), never other data in the database."""
    from django.db.models import Q

    match = Q(pk__in=[])
    for office_code, _destination, _centre, _status, people in DEMO_HOUSEHOLDS:
        given, family, _sex, birth = people[0][:4]
        match |= Q(registering_office__code=office_code, members__relationship="principal",
                   members__given_names=given, members__family_names=family, members__date_of_birth=birth)
    return list(Case.objects.filter(match).values_list("pk", flat=True).distinct())


def demo_screening_complete(*, case: Case, actor) -> None:
    """Counselling, screening and declarations through the real services, then a real submission."""
    from cases.services import case_transition
    from screening import services
    from screening.choices import CounsellingTopic
    from cases.people import is_adult

    day_after, two_days_after = case.intake_date + timedelta(days=1), case.intake_date + timedelta(days=2)
    services.counselling_session_record(actor=actor, case_id=case.pk, data={
        "held_on": day_after, "language": "español", "topics": list(CounsellingTopic.values),
        "outcome": "wishes_to_return", "questions": "", "notes": ""})
    for member in case.members.all():
        services.member_screening_save(actor=actor, member_id=member.pk, expected_version=None,
                                       protection={"fear_of_return": False, "screened_on": day_after},
                                       vulnerabilities=[], fitness=None)
        if is_adult(member):
            services.declaration_record(actor=actor, member_id=member.pk, signed_on=two_days_after,
                                        witness="Personal de la OIM")
    case_transition(case_id=case.pk, to=CaseStatus.PENDING_APPROVAL, actor=actor)
    case.refresh_from_db()


def demo_status_set(*, case: Case, status: str, centre, actor) -> None:
    """Place a demo case at a later stage, with the event that says so (the demo skips the real guards)."""
    if status == case.status:
        return
    CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=status, note="demo data")
    case.status = status
    case.reception_centre = centre
    case.save(update_fields=["status", "reception_centre", "updated_at"])
