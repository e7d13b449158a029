"""The API list's SQL is compiled once per list shape and branch; the rows and the visibility stay the ORM's."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm, remove_perm

from accounts.choices import Role
from accounts.models import Assignment, User
from cases import permissions
from cases.choices import CaseStatus
from cases.models import Case
from cases.registration import MemberInput
from cases.selectors import case_filtered, case_list_page
from cases.services import case_share_with_team
from tests.conftest import api_as
from tests.factories import household, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_compiled():
    permissions._compiled_pages.clear()


@pytest.fixture
def offices_cases(caseworker, outsider, caravan, tij, tap, sps):
    made = [household(actor=caseworker, programme=caravan, office=tij) for _ in range(5)]
    made += [household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.BOOKED,
                       reception_centre=sps) for _ in range(3)]
    made += [household(actor=outsider, programme=caravan, office=tap) for _ in range(4)]
    return made


def fresh(user):
    return User.objects.get(pk=user.pk)  # as authentication loads it on every request


def all_pages(user, filters, *, compiled: bool, size=3) -> list[dict]:
    """Every page through the keyset; `compiled=False` hands in the filtered cases, which takes the ORM path."""
    rows, before = [], None
    while True:
        extra = {} if compiled else {"filtered": case_filtered(Case.objects.all(), filters)}
        page, before = case_list_page(user=fresh(user), filters=filters, before_id=before, size=size,
                                      rows_only=True, **extra)
        rows += [vars(row) for row in page]
        if before is None:
            return rows


@pytest.mark.parametrize("filters", [{}, {"status": CaseStatus.BOOKED}, {"sort": "oldest"}, {"office": "TIJ"}])
def test_compiled_pages_give_the_same_rows_as_the_orm(offices_cases, caseworker, supervisor, reception, filters):
    for user in (caseworker, supervisor, reception):
        expected = all_pages(user, filters, compiled=False)
        assert all_pages(user, filters, compiled=True) == expected
    assert permissions._compiled_pages, "the compiled path was not taken"


def test_one_compilation_serves_every_page_of_a_list(offices_cases, caseworker):
    rows = all_pages(caseworker, {}, compiled=True, size=2)
    assert len(_compiled := permissions._compiled_pages) == 1
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    assert len(rows) == 8 and len(_compiled) == 1


def test_two_offices_sharing_the_cache_never_see_each_others_cases(offices_cases, caseworker, outsider, tij, tap):
    for _ in range(2):  # interleaved, both from the kept SQL the second time
        mine = {row["id"] for row in all_pages(caseworker, {}, compiled=True)}
        theirs = {row["id"] for row in all_pages(outsider, {}, compiled=True)}
        assert mine == set(Case.objects.filter(registering_office=tij).values_list("id", flat=True))
        assert theirs == set(Case.objects.filter(registering_office=tap).values_list("id", flat=True))


def test_a_share_given_or_taken_back_shows_on_the_next_request(offices_cases, outsider, supervisor, tij):
    tij_case = Case.objects.filter(registering_office=tij).first()
    listed = lambda: {row["reference"] for row in api_as(fresh(outsider)).get("/api/v1/cases/").json()["results"]}  # noqa: E731
    assert tij_case.reference not in listed()

    assign_perm("cases.view_case", outsider, tij_case)
    assert tij_case.reference in listed()
    remove_perm("cases.view_case", outsider, tij_case)
    assert tij_case.reference not in listed()

    team = Group.objects.create(name="team:protection-tap")
    outsider.groups.add(team)
    case_share_with_team(actor=supervisor, case=tij_case, team=team)
    assert tij_case.reference in listed()
    outsider.groups.remove(team)
    assert tij_case.reference not in listed()


def test_an_assignment_moved_to_another_office_lists_that_office_at_once(offices_cases, caseworker, tap):
    before = {row["id"] for row in all_pages(caseworker, {}, compiled=True)}
    Assignment.objects.filter(user=caseworker, role=Role.CASEWORKER).update(office=tap)  # no signals
    after = {row["id"] for row in all_pages(caseworker, {}, compiled=True)}
    assert after == set(Case.objects.filter(registering_office=tap).values_list("id", flat=True))
    assert not before & after


def test_a_search_is_never_served_from_kept_sql(offices_cases, caseworker, caravan, tij):
    found = lambda: [row["reference"] for row in  # noqa: E731
                     api_as(fresh(caseworker)).get("/api/v1/cases/", {"q": "Zoila Quiroz"}).json()["results"]]
    assert found() == []
    case = household(actor=caseworker, programme=caravan, office=tij, people=[MemberInput(
        given_names="Zoila", family_names="Quiroz", sex="female", date_of_birth=date(1991, 5, 2), nationality="HN",
        document_type="passport", document_number="PZQ777", place_of_origin="Choloma")])
    assert found() == [case.reference]
    assert not permissions._compiled_pages


def test_a_user_without_a_scope_lists_nothing_from_the_kept_sql(offices_cases, caseworker):
    all_pages(caseworker, {}, compiled=True)
    nobody = staff("nobody", Role.ADMIN)
    assert all_pages(nobody, {}, compiled=True) == []


def test_two_teams_sharing_the_cache_see_only_their_own_shares(offices_cases, outsider, supervisor, tij, tap):
    other = staff("cw_tap_2", Role.CASEWORKER, office=tap)
    first, second = Case.objects.filter(registering_office=tij).order_by("id")[:2]
    for user, case, name in ((outsider, first, "team:a"), (other, second, "team:b")):
        team = Group.objects.create(name=name)
        user.groups.add(team)
        case_share_with_team(actor=supervisor, case=case, team=team)
    for _ in range(2):
        seen_by_outsider = {row["id"] for row in all_pages(outsider, {}, compiled=True)}
        seen_by_other = {row["id"] for row in all_pages(other, {}, compiled=True)}
        assert first.pk in seen_by_outsider and second.pk not in seen_by_outsider
        assert second.pk in seen_by_other and first.pk not in seen_by_other


def test_two_people_with_their_own_shares_see_only_theirs(offices_cases, outsider, tij, tap):
    other = staff("cw_tap_3", Role.CASEWORKER, office=tap)
    first, second = Case.objects.filter(registering_office=tij).order_by("id")[:2]
    assign_perm("cases.view_case", outsider, first)
    assign_perm("cases.view_case", other, second)
    for _ in range(2):
        seen_by_outsider = {row["id"] for row in all_pages(outsider, {}, compiled=True)}
        seen_by_other = {row["id"] for row in all_pages(other, {}, compiled=True)}
        assert first.pk in seen_by_outsider and second.pk not in seen_by_outsider
        assert second.pk in seen_by_other and first.pk not in seen_by_other


def test_each_filter_has_its_own_kept_sql(offices_cases, caseworker):
    everything = all_pages(caseworker, {}, compiled=True)
    booked = all_pages(caseworker, {"status": CaseStatus.BOOKED}, compiled=True)
    oldest = all_pages(caseworker, {"sort": "oldest"}, compiled=True)
    assert len(everything) == 8 and {row["status"] for row in booked} == {CaseStatus.BOOKED} and len(booked) == 3
    assert [row["id"] for row in oldest] == sorted(row["id"] for row in everything)
