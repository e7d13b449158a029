"""Fictional households for the demo, spread over the pipeline so every role's home page has something."""

from datetime import date

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
]


DEMO_PLACES = {"HN": "San Pedro Sula", "SV": "San Miguel", "GT": "Cobán"}


@transaction.atomic
def demo_cases_ensure(*, offices, programmes) -> int:
    """Create the demo households that do not exist yet; returns how many were created."""
    created = 0
    caseworkers = {"TIJ": User.objects.get(username="caseworker_tij"), "TAP": User.objects.get(username="caseworker_tap")}
    supervisor = User.objects.get(username="supervisor_mx")
    for office_code, destination, centre, status, people in DEMO_HOUSEHOLDS:
        principal = people[0]
        if Member.objects.filter(case__registering_office__code=office_code, given_names=principal[0],
                                 family_names=principal[1], date_of_birth=principal[3]).exists():
            continue
        members = [MemberInput(given_names=g, family_names=f, sex=s, date_of_birth=b, nationality=n, relationship=r,
                               document_type="passport" if doc else "", document_number=doc,
                               place_of_origin=DEMO_PLACES[n])
                   for g, f, s, b, n, r, doc in people]
        data = RegistrationInput(programme=programmes["CARAVAN-2018"], office=offices[office_code],
                                 destination_country=destination, members=members, how_heard="booth_outreach",
                                 consent=ConsentInput(type="explicit"), intake_date=date(2018, 11, 20))
        case = case_register(actor=caseworkers[office_code], data=data, confirm_duplicates=True).case
        if status not in (CaseStatus.REGISTERED, CaseStatus.SCREENING):
            demo_screening_complete(case=case, actor=caseworkers[office_code])
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

    services.counselling_session_record(actor=actor, case_id=case.pk, data={
        "held_on": date(2018, 11, 21), "language": "español", "topics": list(CounsellingTopic.values),
        "outcome": "wishes_to_return", "questions": "", "notes": ""})
    for member in case.members.all():
        services.member_screening_save(actor=actor, member_id=member.pk, expected_version=None,
                                       protection={"fear_of_return": False, "screened_on": date(2018, 11, 21)},
                                       vulnerabilities=[], fitness=None)
        if is_adult(member):
            services.declaration_record(actor=actor, member_id=member.pk, signed_on=date(2018, 11, 22),
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
