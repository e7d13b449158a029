"""Every list page makes the same number of queries whatever the number of rows (issue #14: flat in the data).

Each test shows a page at 10 rows, adds 90 more, shows it again and compares the two counts: a query per row
would make them differ. Rows are copied through the ORM from one household made by the real services, so that a
hundred of them stay cheap to build; their nullable fields are left empty on purpose (no submitter, no assigned
caseworker, no reception centre where the page allows it), which is what the pages must survive.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases.choices import CaseStatus
from cases.models import Case, Member
from reception.models import CheckIn
from tests.factories import household
from travel.models import Booking, Escort, Movement, MovementLeg

pytestmark = pytest.mark.django_db

FEW, MANY = 10, 100


# --- building rows -------------------------------------------------------------------------------------------------

def copies_of(case: Case, count: int, **changes) -> list[Case]:
    """`count` copies of the household (its members too), with `changes` on each case; nullable fields empty."""
    members = list(case.members.all())
    made = []
    for _ in range(count):
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy.reference = f"{case.reference}-{Case.objects.count() + 1}"
        copy.submitted_by = copy.assigned_caseworker = None
        copy.submitted_at = None
        for name, value in changes.items():
            setattr(copy, name, value)
        copy.save()
        for member in members:
            Member.objects.create(**{f.attname: getattr(member, f.attname) for f in Member._meta.concrete_fields
                                     if f.attname not in ("id", "case_id", "same_person_as_id")}, case=copy)
        made.append(copy)
    return made


def a_household(caseworker, caravan, tij, **registered):
    return household(actor=caseworker, programme=caravan, office=tij, **registered)


def movements_to(centre, officer, departure_office, count: int, *, status="departed", passengers_of=None,
                 checked_in=False) -> list[Movement]:
    """`count` movements to `centre`, each with two legs, an escort, and one household's members on board."""
    made = []
    for _ in range(count):
        n = Movement.objects.count() + 1
        movement = Movement.objects.create(
            reference=f"MOV-T-{n}", mode="bus", carrier="Transportes del Pacífico", departure_office=departure_office,
            departure_at=timezone.now() - timedelta(hours=2), reception_centre=centre, country=departure_office.country,
            capacity=40, status=status, created_by=officer)
        MovementLeg.objects.create(movement=movement, order=1, crossing_point="Tecún Umán",
                                   expected_at=timezone.now() + timedelta(hours=3))
        MovementLeg.objects.create(movement=movement, order=2, crossing_point="Corinto",
                                   expected_at=timezone.now() + timedelta(hours=8))
        escort = Escort.objects.create(movement=movement, name="Lucía Gómez", kind="child")
        if passengers_of is not None:
            case = copies_of(passengers_of, 1, status=CaseStatus.IN_TRANSIT, reception_centre=centre)[0]
            for seat, member in enumerate(case.members.all(), start=1):
                booking = Booking.objects.create(movement=movement, case=case, member=member, seat=seat,
                                                 status="boarded", booked_by=officer)
                escort.members.add(member)
                if checked_in:
                    CheckIn.objects.create(booking=booking, member=member, arrived=True, at=timezone.now(),
                                           by=officer)
        made.append(movement)
    return made


# --- counting ------------------------------------------------------------------------------------------------------

def queries_of(get, path: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured), response


def browser_of(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get


def api_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client.get


def assert_flat(get, path: str, add_rows, *, rows_in=None) -> tuple[int, int]:
    """The page's queries at FEW rows equal those at MANY rows; `rows_in(response)` checks the rows grew."""
    get(path)  # warm the per-process caches (content types, translations), as a running server has them
    few, response = queries_of(get, path)
    shown_few = rows_in(response) if rows_in else None
    add_rows()
    many, response = queries_of(get, path)
    if rows_in:
        assert rows_in(response) > shown_few, "the second visit should show more rows"
    assert few == many, f"{path}: {few} queries at {FEW} rows, {many} at {MANY}"
    return few, many


def html_rows(marker: str):
    return lambda response: response.content.decode().count(marker)


def json_rows(response) -> int:
    body = response.json()
    return len(body["results"] if isinstance(body, dict) else body)


# --- the approval queue --------------------------------------------------------------------------------------------

def test_the_approval_queue_shows_a_waiting_case_with_every_nullable_field_empty(supervisor, caseworker, caravan,
                                                                                  tij):
    case = a_household(caseworker, caravan, tij, status=CaseStatus.PENDING_APPROVAL)
    Case.objects.filter(pk=case.pk).update(submitted_by=None, submitted_at=None, assigned_caseworker=None,
                                           reception_centre=None, destination_country="")
    response = browser_of(supervisor)("/cases/approvals/")
    assert response.status_code == 200
    assert f'data-case="{case.reference}"' in response.content.decode()


def test_the_approval_queue_names_the_submitter_when_there_is_one(supervisor, caseworker, caravan, tij):
    from tests.screening_steps import ready_for_submission
    from cases.services import case_transition

    case = a_household(caseworker, caravan, tij)
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    page = browser_of(supervisor)("/cases/approvals/").content.decode()
    assert "cw_tij" in page


def test_the_approval_queue_is_flat_in_the_waiting_cases(supervisor, caseworker, caravan, tij):
    case = a_household(caseworker, caravan, tij, status=CaseStatus.PENDING_APPROVAL)
    copies_of(case, FEW - 1)
    assert_flat(browser_of(supervisor), "/cases/approvals/", lambda: copies_of(case, MANY - FEW),
                rows_in=html_rows("data-case="))


# --- the reception arrivals board ----------------------------------------------------------------------------------

def test_the_arrivals_board_is_flat_in_the_movements(reception, movement_officer, caseworker, caravan, tij, sps):
    case = a_household(caseworker, caravan, tij)
    movements_to(sps, movement_officer, tij, FEW, passengers_of=case, checked_in=True)
    assert_flat(browser_of(reception), "/reception/",
                lambda: movements_to(sps, movement_officer, tij, MANY - FEW, passengers_of=case),
                rows_in=html_rows("data-movement="))


def test_the_arrivals_board_counts_passengers_and_check_ins_per_movement(reception, movement_officer, caseworker,
                                                                         caravan, tij, sps):
    case = a_household(caseworker, caravan, tij)
    checked, = movements_to(sps, movement_officer, tij, 1, passengers_of=case, checked_in=True)
    waiting, = movements_to(sps, movement_officer, tij, 1, passengers_of=case, status="confirmed")
    page = browser_of(reception)("/reception/").content.decode()
    for movement, checked_in in ((checked, 1), (waiting, 0)):
        row = page.split(f'data-movement="{movement.reference}"')[1].split("</tr>")[0]
        assert 'data-count="passengers">1<' in row
        assert f'data-count="checked-in">{checked_in} / 1<' in row


# --- the movement list, HTML and API ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["movement_officer", "supervisor", "reception"])
@pytest.mark.parametrize("door", ["html", "api"])
def test_the_movement_list_is_flat_in_the_movements(who, door, request, movement_officer, caseworker, caravan,
                                                    tij, sps):
    user = request.getfixturevalue(who)
    case = a_household(caseworker, caravan, tij)
    movements_to(sps, movement_officer, tij, FEW, passengers_of=case)
    get, path, rows = ((browser_of(user), "/movements/", html_rows("data-movement=")) if door == "html"
                       else (api_of(user), "/api/v1/movements/", json_rows))
    assert_flat(get, path, lambda: movements_to(sps, movement_officer, tij, MANY - FEW, passengers_of=case),
                rows_in=rows)


def test_the_movement_list_api_gives_each_movement_its_seats_legs_and_escorts(movement_officer, caseworker,
                                                                              caravan, tij, sps):
    case = a_household(caseworker, caravan, tij)
    full, = movements_to(sps, movement_officer, tij, 1, passengers_of=case)
    empty, = movements_to(sps, movement_officer, tij, 1)
    body = {m["reference"]: m for m in api_of(movement_officer)("/api/v1/movements/").json()}
    members = sorted(case.members.values_list("pk", flat=True))
    assert body[full.reference]["seats_taken"] == 1 and body[empty.reference]["seats_taken"] == 0
    assert [leg["order"] for leg in body[full.reference]["legs"]] == [1, 2]
    assert len(body[full.reference]["escorts"][0]["escorted"]) == len(members)
    assert body[empty.reference]["escorts"][0]["escorted"] == []


# --- a movement's own page: the passengers, HTML and API -----------------------------------------------------------

def board(movement, officer, households: list[Case], *, status="boarded", checked_in=False) -> None:
    """Seat every member of the households on the movement, after those already there."""
    seat = Booking.objects.filter(movement=movement).count()
    for case in households:
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_TRANSIT, reception_centre=movement.reception_centre)
        for member in case.members.all():
            seat += 1
            booking = Booking.objects.create(movement=movement, case=case, member=member, seat=seat, status=status,
                                             booked_by=officer)
            if checked_in:
                CheckIn.objects.create(booking=booking, member=member, arrived=True, at=timezone.now(), by=officer)


@pytest.mark.parametrize("who", ["movement_officer", "supervisor", "reception"])
@pytest.mark.parametrize("door", ["html", "api"])
def test_a_movement_page_is_flat_in_its_passengers(who, door, request, movement_officer, caseworker, caravan, tij,
                                                   sps):
    user = request.getfixturevalue(who)
    case = a_household(caseworker, caravan, tij)
    movement, = movements_to(sps, movement_officer, tij, 1)
    board(movement, movement_officer, copies_of(case, FEW))
    get, path, rows = ((browser_of(user), f"/movements/{movement.pk}/", html_rows("data-booking=")) if door == "html"
                       else (api_of(user), f"/api/v1/movements/{movement.pk}/",
                             lambda r: len(r.json()["passengers"])))
    assert_flat(get, path, lambda: board(movement, movement_officer, copies_of(case, MANY - FEW)), rows_in=rows)


def test_the_check_in_board_is_flat_in_its_passengers(reception, movement_officer, caseworker, caravan, tij, sps):
    case = a_household(caseworker, caravan, tij)
    movement, = movements_to(sps, movement_officer, tij, 1)
    board(movement, movement_officer, copies_of(case, FEW), checked_in=True)
    assert_flat(browser_of(reception), f"/reception/movements/{movement.pk}/check-in/",
                lambda: board(movement, movement_officer, copies_of(case, MANY - FEW)),
                rows_in=html_rows("<tr data-member="))


# --- the case lists and the home pages -----------------------------------------------------------------------------

ROLES = ["caseworker", "supervisor", "movement_officer", "reception"]
STATUS_SEEN_BY = {"caseworker": CaseStatus.REGISTERED, "supervisor": CaseStatus.PENDING_APPROVAL,
                  "movement_officer": CaseStatus.APPROVED, "reception": CaseStatus.BOOKED}


def cases_seen_by(who, case, sps, count):
    return copies_of(case, count, status=STATUS_SEEN_BY[who], reception_centre=sps)


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("path,rows", [("/cases/", html_rows("data-case=")), ("/api/v1/cases/", json_rows),
                                       ("/", html_rows("data-case="))])
def test_the_case_lists_and_home_pages_are_flat_in_the_cases(who, path, rows, request, caseworker, caravan, tij,
                                                             sps):
    user = request.getfixturevalue(who)
    case = a_household(caseworker, caravan, tij)
    cases_seen_by(who, case, sps, FEW)
    get = api_of(user) if path.startswith("/api/") else browser_of(user)
    assert_flat(get, path, lambda: cases_seen_by(who, case, sps, MANY - FEW), rows_in=rows)


# --- the reception centre's work lists -----------------------------------------------------------------------------

def follow_ups_of(cases, today):
    from reception.models import FollowUp

    for case in cases:
        for member in case.members.all():
            FollowUp.objects.create(member=member, due_on=today)


def referrals_of(cases, officer, today):
    from cases.models import Consent
    from reception.models import Institution, Referral

    institution = Institution.objects.get_or_create(name="Ciudad Mujer", country="HN", services=["health"])[0]
    for case in cases:
        for member in case.members.all():
            consent = Consent.objects.create(case=case, member=member, scope="sharing", institution=institution,
                                             service="health", type="explicit", given_on=today, recorded_by=officer)
            Referral.objects.create(member=member, institution=institution, service="health", consent=consent,
                                    sent_on=today, due_on=today, created_by=officer)


@pytest.mark.parametrize("page", ["follow-ups", "referrals"])
def test_the_reception_work_lists_are_flat_in_their_rows(page, reception, caseworker, caravan, tij, sps):
    case = a_household(caseworker, caravan, tij)
    today = timezone.localdate()

    def add(count):
        made = copies_of(case, count, status=CaseStatus.CLOSED, reception_centre=sps)
        follow_ups_of(made, today) if page == "follow-ups" else referrals_of(made, reception, today)

    add(FEW)
    marker = "data-follow-up=" if page == "follow-ups" else "data-referral="
    assert_flat(browser_of(reception), f"/reception/{page}/", lambda: add(MANY - FEW), rows_in=html_rows(marker))


# --- reports, retention review and emergency-access review ---------------------------------------------------------

def reports_of(user, programme, count):
    from datetime import date

    from reports.models import Report

    start = Report.objects.count()
    for n in range(start, start + count):
        Report.objects.create(programme=programme if n % 2 else None, period_start=date(2018, 1, 1) + timedelta(n),
                              period_end=date(2018, 12, 31), format="csv", requested_by=user if n % 3 else None)


def test_the_report_list_is_flat_in_the_reports(admin_user, caravan):
    reports_of(admin_user, caravan, FEW)
    assert_flat(browser_of(admin_user), "/reports/", lambda: reports_of(admin_user, caravan, MANY - FEW),
                rows_in=html_rows("data-report="))


@pytest.mark.parametrize("who", ["admin_user", "supervisor"])
def test_the_retention_review_queue_is_flat_in_the_cases(who, request, caseworker, caravan, tij):
    from retention.models import ReviewItem

    user = request.getfixturevalue(who)
    case = a_household(caseworker, caravan, tij)

    def add(count):
        for made in copies_of(case, count, status=CaseStatus.CLOSED):
            ReviewItem.objects.create(case=made, due_on=timezone.localdate())

    add(FEW)
    assert_flat(browser_of(user), "/retention/review/", lambda: add(MANY - FEW), rows_in=html_rows("data-case="))


def test_the_break_glass_review_is_flat_in_the_grants(supervisor, admin_user, caseworker, caravan, tij):
    from breakglass.models import BreakGlassGrant

    case = a_household(caseworker, caravan, tij)

    def add(count):
        for n, made in enumerate(copies_of(case, count)):
            BreakGlassGrant.objects.create(user=admin_user, case=made, reason="Llamada de la policía",
                                           expires_at=timezone.now() + timedelta(hours=4),
                                           reviewed_by=supervisor if n % 2 else None,
                                           reviewed_at=timezone.now() if n % 2 else None)

    add(FEW)
    assert_flat(browser_of(supervisor), "/cases/break-glass/review/", lambda: add(MANY - FEW),
                rows_in=html_rows("data-testid=\"grant-"))


def test_the_arrivals_board_counts_as_the_movement_summary_does(reception, movement_officer, caseworker, caravan,
                                                                tij, sps):
    from datetime import date

    from reception.selectors import arrival_counts
    from travel.selectors import movement_summary, passengers

    case = a_household(caseworker, caravan, tij)
    movement, = movements_to(sps, movement_officer, tij, 1, passengers_of=case)
    departure_day = timezone.localtime(movement.departure_at).date()
    people = list(Booking.objects.filter(movement=movement).values_list("member_id", flat=True))
    child = Member.objects.create(case_id=Booking.objects.filter(movement=movement).first().case_id,
                                  relationship="child", given_names="Dayana", family_names="Paz", sex="female",
                                  nationality="HN", date_of_birth=date(departure_day.year - 17, 1, 1),
                                  is_unaccompanied_child=True, needs_medical_attention=True)
    Booking.objects.create(movement=movement, case_id=child.case_id, member=child, seat=len(people) + 1,
                           status="boarded", booked_by=movement_officer)
    counted = arrival_counts([movement.pk])[movement.pk]["summary"]
    assert counted == movement_summary(movement, passengers(movement))
    assert counted["children"] == counted["unaccompanied_children"] == counted["needs_medical_attention"] == 1


def test_the_arrivals_board_keeps_recent_arrivals_and_drops_old_ones(reception, movement_officer, caseworker,
                                                                     caravan, tij, sps):
    recent, old = movements_to(sps, movement_officer, tij, 2, status="arrived")
    MovementLeg.objects.filter(movement=old).update(expected_at=timezone.now() - timedelta(days=5))
    MovementLeg.objects.filter(movement=recent).update(expected_at=timezone.now() - timedelta(hours=1))
    page = browser_of(reception)("/reception/").content.decode()
    assert f'data-movement="{recent.reference}"' in page
    assert f'data-movement="{old.reference}"' not in page


@pytest.mark.parametrize("who,path", [("caseworker", "/cases/"), ("caseworker", "/api/v1/cases/"),
                                      ("caseworker", "/"), ("supervisor", "/cases/"), ("supervisor", "/"),
                                      ("supervisor", "/api/v1/cases/"), ("supervisor", "/cases/approvals/")])
def test_the_lists_show_a_case_whose_nullable_fields_are_all_empty(who, path, request, caseworker, caravan, tij):
    user = request.getfixturevalue(who)
    case = a_household(caseworker, caravan, tij, status=CaseStatus.PENDING_APPROVAL)
    Case.objects.filter(pk=case.pk).update(submitted_by=None, submitted_at=None, assigned_caseworker=None,
                                           reception_centre=None, destination_country="")
    case.members.update(date_of_birth=None, relationship="other", document_type="", nationality="")
    get = api_of(user) if path.startswith("/api/") else browser_of(user)
    response = get(path)
    assert response.status_code == 200
    assert case.reference in response.content.decode()
