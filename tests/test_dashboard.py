"""The home dashboard: each role's counts over the cases it may see, links to the filtered list, no names, cheap."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.dashboard import dashboard_for_user, week_start
from avr.dates import local_midnight
from cases.models import Case
from cases.permissions import assignments_cache_clear
from cases.registration import ConsentInput, MemberInput, RegistrationInput, case_register
from cases.services import case_transition
from reception.models import FollowUp, Institution, Referral
from reception.services import referral_consent_record, referral_create
from tests.factories import household
from tests.reception_steps import approved, convoy, departed, documents_ready
from tests.screening_steps import family, ready_for_submission
from travel import services as travel_services
from travel.models import Movement

pytestmark = pytest.mark.django_db

NAMES = ["María José", "Hernández", "Ana Lucía", "Reyes Paz", "Jorge", "Mejía", "Kevin", "Walter", "Bonilla"]


def submitted(case, caseworker):
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    return case


def quick_registration(*, actor, programme, office):
    """A household registered in quick mode during a surge: it waits in the incomplete queue."""
    data = RegistrationInput(programme=programme, office=office, destination_country="HN", quick=True,
                             consent=ConsentInput(type="explicit"), members=[MemberInput(
                                 given_names="Walter", family_names="Bonilla", sex="male", nationality="HN", estimated_age=30)])
    return case_register(actor=actor, data=data, confirm_duplicates=True).case


def bus(officer, office, centre, *, departure_at, capacity=40):
    movement = convoy(officer, office, centre, capacity=capacity)
    travel_services.escort_add(actor=officer, movement_id=movement.pk, data={"name": "Lucía", "kind": "child"})
    Movement.objects.filter(pk=movement.pk).update(departure_at=departure_at)  # services refuse a past departure
    movement.refresh_from_db()
    return movement


@pytest.fixture
def dataset(caseworker, outsider, supervisor, movement_officer, reception, caravan, tij, tap, sps):
    """Tijuana: two registered (one incomplete), one waiting for approval for five days, one approved, one booked on
    this week's bus (3 seats of 40), one gone on last week's bus (3 people boarded) with an overdue referral and a
    follow-up call due; next week's bus is empty (20 seats). Tapachula: one registered, one waiting for approval."""
    now = timezone.now()
    household(actor=caseworker, programme=caravan, office=tij)
    quick_registration(actor=caseworker, programme=caravan, office=tij)
    waiting = submitted(family(actor=caseworker, programme=caravan, office=tij), caseworker)
    Case.objects.filter(pk=waiting.pk).update(submitted_at=now - timedelta(days=5, hours=1))
    approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    booked = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    gone = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    for case in (booked, gone):
        documents_ready(case, movement_officer)

    this_week = bus(movement_officer, tij, sps, departure_at=now)
    travel_services.case_book(actor=movement_officer, movement_id=this_week.pk, case_id=booked.pk)
    travel_services.movement_transition(actor=movement_officer, movement_id=this_week.pk, to="confirmed")
    bus(movement_officer, tij, sps, capacity=20,
        departure_at=local_midnight(week_start(timezone.localdate()) + timedelta(weeks=1)) + timedelta(hours=10))
    last_week = bus(movement_officer, tij, sps, departure_at=now + timedelta(days=3))
    departed(last_week, movement_officer, [gone])
    Movement.objects.filter(pk=last_week.pk).update(departure_at=now - timedelta(days=7), departed_at=now - timedelta(days=7))

    ana = gone.members.order_by("id").first()
    employment = Institution.objects.create(name="Servicio Nacional de Empleo", country="HN",
                                            services=["employment"])
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    referral = referral_create(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    Referral.objects.filter(pk=referral.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    FollowUp.objects.create(member=ana, due_on=timezone.localdate())  # as scheduled on arrival, now due

    household(actor=outsider, programme=caravan, office=tap)
    submitted(family(actor=outsider, programme=caravan, office=tap), outsider)
    return {"gone": gone, "waiting": waiting}


class Extract(HTMLParser):
    """The text and attributes inside the element with a given data-testid."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid, self.depth, self.text, self.attrs, self.found = testid, 0, [], [], False

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in ("br", "line", "rect", "img", "input", "meta")
            self.attrs.extend(v or "" for _k, v in attrs)
        elif ("data-testid", self.testid) in attrs:
            self.depth, self.found = 1, True
            self.attrs.extend(v or "" for _k, v in attrs)

    def handle_startendtag(self, tag, attrs):
        if self.depth:
            self.attrs.extend(v or "" for _k, v in attrs)

    def handle_endtag(self, tag):
        if self.depth and tag not in ("br", "line", "rect", "img", "input", "meta"):
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def part(page: str, testid: str) -> str:
    parser = Extract(testid)
    parser.feed(page)
    assert parser.found, testid
    return " ".join(parser.text + parser.attrs)


def pipeline_counts(pipeline) -> dict:
    return {row.status: [c.count for c in row.cells] for row in pipeline.rows if row.total.count}


def home(client, user, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get("/").content.decode()


# --- each role's numbers ---------------------------------------------------------------------------------------------

def test_the_caseworker_counts_their_office_only(caseworker, dataset):
    panel = dashboard_for_user(user=caseworker)["caseworker"]

    assert panel["pipeline"].columns == ["TIJ"]
    assert pipeline_counts(panel["pipeline"]) == {
        "registered": [2], "pending_approval": [1], "approved": [1], "booked": [1], "in_transit": [1]}
    assert panel["pipeline"].total.count == 6
    assert panel["incomplete"] == 1 and panel["submitted_waiting"] == 1


def test_the_outsider_does_not_count_tijuanas_cases(outsider, dataset):
    panel = dashboard_for_user(user=outsider)["caseworker"]

    assert pipeline_counts(panel["pipeline"]) == {"registered": [1], "pending_approval": [1]}
    assert panel["incomplete"] == 0 and panel["submitted_waiting"] == 1


def test_the_supervisor_sees_the_programme_per_office_and_country_with_approvals_and_returns(supervisor, dataset):
    panel = dashboard_for_user(user=supervisor)["supervisor"]
    last_week = week_start(timezone.localdate()) - timedelta(weeks=1)
    gone_week = week_start(timezone.localtime(timezone.now() - timedelta(days=7)).date())

    assert panel["by_office"].columns == ["TAP", "TIJ"]
    assert pipeline_counts(panel["by_office"]) == {
        "registered": [1, 2], "pending_approval": [1, 1], "approved": [0, 1], "booked": [0, 1],
        "in_transit": [0, 1]}
    assert panel["by_country"].columns == ["Honduras"] and panel["by_country"].total.count == 8
    assert panel["approvals"] == {"count": 2, "oldest_days": 5}
    assert [c.value for c in panel["returns"].columns][-2:] == ([3, 0] if gone_week == last_week else [0, 3])
    assert panel["returns"].total == 3 and len(panel["returns"].columns) == 12


def test_a_supervisor_of_another_programme_counts_nothing(other_supervisor, dataset):
    panel = dashboard_for_user(user=other_supervisor)["supervisor"]

    assert panel["by_office"].total.count == 0 and panel["by_country"].total.count == 0
    assert panel["approvals"] == {"count": 0, "oldest_days": None}
    assert panel["returns"].total == 0


def test_the_movement_officer_sees_this_and_next_weeks_movements_and_cases_to_book(movement_officer, dataset):
    panel = dashboard_for_user(user=movement_officer)["movement"]

    assert panel["to_book"] == 1 and panel["to_book_url"] == "/cases/?status=approved"
    assert [(w["movements"], w["seats_taken"], w["capacity"]) for w in panel["weeks"]] == [(1, 3, 40), (1, 0, 20)]
    assert {s["status"]: s["count"] for s in panel["statuses"]} == {"approved": 1, "booked": 1, "in_transit": 1}


def test_reception_sees_its_centres_arrivals_overdue_referrals_and_follow_ups(reception, dataset):
    panel = dashboard_for_user(user=reception)["reception"]

    assert (panel["movements"], panel["passengers"]) == (1, 3)
    assert (panel["referrals_overdue"], panel["follow_ups_due"]) == (1, 1)
    assert panel["referrals_url"] == "/reception/referrals/?show=overdue"


def test_reception_of_another_centre_counts_nothing(other_reception, dataset):
    panel = dashboard_for_user(user=other_reception)["reception"]

    assert (panel["movements"], panel["passengers"], panel["referrals_overdue"], panel["follow_ups_due"]) == (0,) * 4


def test_the_admin_sees_aggregates_over_everything(admin_user, dataset):
    panel = dashboard_for_user(user=admin_user)["admin"]

    assert panel["by_programme"].columns == ["CARAVAN-2018"] and panel["by_programme"].total.count == 8
    assert pipeline_counts(panel["by_country"]) == {
        "registered": [3], "pending_approval": [2], "approved": [1], "booked": [1], "in_transit": [1]}
    assert panel["approvals"] == {"count": 2, "oldest_days": 5}
    assert panel["returns"].total == 3 and panel["referrals_overdue"] == 1
    assert all(not cell.url for row in panel["by_country"].rows for cell in row.cells)


def test_a_user_with_two_roles_sees_each_section_once(client, caseworker, supervisor, dataset, caravan):
    from accounts.models import Assignment

    Assignment.objects.create(user=caseworker, role="supervisor", programme=caravan, country="MX")
    page = home(client, caseworker)

    assert page.count('data-testid="dashboard-caseworker"') == 1
    assert page.count('data-testid="dashboard-supervisor"') == 1
    assert page.count('data-testid="returns-chart-supervisor"') == 1


# --- the page: links, chart, no names, both languages ----------------------------------------------------------------

def test_the_caseworkers_counts_link_to_the_filtered_list_which_shows_as_many(client, caseworker, dataset):
    page = home(client, caseworker)
    dashboard = part(page, "dashboard-caseworker")

    assert '<a href="/cases/?status=registered&amp;office=TIJ">2</a>' in page
    assert "/cases/?incomplete=1&amp;office=TIJ" in page and "/cases/?status=approved&office=TIJ" in dashboard
    listed = client.get("/cases/?status=registered&office=TIJ").content.decode()
    assert listed.count("<tr data-case=") == 2


def test_the_supervisors_counts_link_to_the_programmes_list_and_the_approval_queue(client, supervisor, dataset):
    page = home(client, supervisor)

    assert '<a href="/cases/?status=pending_approval&amp;programme=CARAVAN-2018&amp;office=TAP">1</a>' in page
    assert '<a href="/cases/approvals/">2</a>' in page
    listed = client.get("/cases/?status=pending_approval&programme=CARAVAN-2018").content.decode()
    assert listed.count("<tr data-case=") == 2


def test_the_returns_chart_is_an_accessible_svg_with_its_numbers_in_a_table(client, supervisor, dataset):
    page = home(client, supervisor)
    chart = page[page.index('<svg'):page.index("</svg>")]

    assert 'role="img"' in chart and '<title id="returns-chart-supervisor-title">Returns per week</title>' in chart
    assert chart.count('class="chart-bar"') == 12
    numbers = part(page, "returns-chart-supervisor-numbers")
    assert " 3 " in f" {numbers} "
    assert "<script" not in chart and "style=" not in chart


@pytest.mark.parametrize("persona, testid", [
    ("caseworker", "dashboard-caseworker"), ("outsider", "dashboard-caseworker"),
    ("supervisor", "dashboard-supervisor"), ("movement_officer", "dashboard-movement"),
    ("reception", "dashboard-reception"), ("admin_user", "dashboard-admin"),
])
def test_no_dashboard_shows_a_name_or_a_reference(request, client, persona, testid, dataset):
    page = home(client, request.getfixturevalue(persona))
    shown = part(page, testid)
    references = list(Case.objects.values_list("reference", flat=True))

    assert [n for n in NAMES if n in shown] == []
    assert [r for r in references if r in shown] == []


def test_the_admins_whole_home_page_shows_no_name(client, admin_user, dataset):
    page = home(client, admin_user)

    assert [n for n in NAMES if n in page] == []
    assert "CARAVAN-2018" in page and "/cases/?" not in page


@pytest.mark.parametrize("language, pending", [("es", "Pendiente de aprobación"), ("en", "Pending approval")])
def test_the_dashboard_renders_in_both_languages(client, supervisor, dataset, language, pending):
    page = home(client, supervisor, language=language)
    dashboard = part(page, "dashboard-supervisor")

    assert f'<html lang="{language}"' in page
    assert pending in dashboard and 'data-testid="returns-chart-supervisor"' in page
    assert 'data-testid="pipeline-office"' in page and 'data-testid="pipeline-country"' in page


def test_the_chart_labels_its_weeks_in_the_users_language(client, admin_user, dataset):
    from django.utils import formats, translation

    first = week_start(timezone.localdate()) - timedelta(weeks=11)
    with translation.override("es"):
        spanish = formats.date_format(first, "j M")

    page = home(client, admin_user, language="es")

    assert f">{spanish}</text>" in page and 'data-testid="returns-chart-admin"' in page


# --- cost ------------------------------------------------------------------------------------------------------------

# The assignments and the shares check (one query each) are shared with the rest of the home page.
QUERY_BUDGET = {"caseworker": 4, "outsider": 4, "supervisor": 5, "other_supervisor": 5, "movement_officer": 5,
                "reception": 5, "other_reception": 5, "admin_user": 5}


@pytest.mark.parametrize("persona", sorted(QUERY_BUDGET))
def test_the_dashboard_costs_a_handful_of_queries_whatever_the_number_of_cases(
        request, persona, dataset, caseworker, caravan, tij):
    user = request.getfixturevalue(persona)
    user = type(user).objects.get(pk=user.pk)  # as on a new request: the assignments are not loaded yet
    assignments_cache_clear()  # and in a fresh process, which has not kept them either

    with CaptureQueriesContext(connection) as before:
        dashboard_for_user(user=user)
    for _ in range(3):
        approved(family(actor=caseworker, programme=caravan, office=tij), caseworker,
                 request.getfixturevalue("supervisor"))
    user = type(user).objects.get(pk=user.pk)  # a new request: assignments are loaded again
    assignments_cache_clear()
    with CaptureQueriesContext(connection) as after:
        dashboard_for_user(user=user)

    assert len(before) <= QUERY_BUDGET[persona]
    assert len(after) == len(before)


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "movement_officer", "reception", "admin_user"])
def test_the_whole_home_page_stays_at_a_dozen_queries_as_cases_grow(request, client, persona, dataset, caseworker,
                                                                     supervisor, caravan, tij):
    user = request.getfixturevalue(persona)
    home(client, user)

    with CaptureQueriesContext(connection) as before:
        client.get("/")
    for _ in range(3):
        approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    with CaptureQueriesContext(connection) as after:
        client.get("/")

    assert len(before) <= 12 and len(after) == len(before)
