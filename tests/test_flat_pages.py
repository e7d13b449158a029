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
