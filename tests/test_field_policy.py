"""One field policy (cases/fields.py): every personal field of every model is tagged once, and every door reads
through it. Sentinel strings go into every restricted field; each door is asked, as each role, which it shows."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from cases.fields import FIELD_GROUPS, FieldReader, field_group, is_bookkeeping, readable
from cases.permissions import ALL_GROUPS, CaseAccess, FieldGroup
from accounts.choices import Role

POLICY_APPS = ("cases", "screening", "travel", "reception", "sync", "imports", "reports", "documents")


def model_field_keys():
    for app in POLICY_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if field.concrete or (field.many_to_many and not field.auto_created):
                    yield f"{model._meta.label}.{field.name}"


def test_every_field_of_every_model_is_tagged_or_declared_bookkeeping():
    untagged = [key for key in model_field_keys() if key not in FIELD_GROUPS and not is_bookkeeping(key)]

    assert untagged == []


def test_no_field_is_both_tagged_and_declared_bookkeeping():
    assert [key for key in FIELD_GROUPS if is_bookkeeping(key)] == []


def test_every_tag_names_a_field_that_exists_and_a_known_group():
    keys = set(model_field_keys())

    assert [key for key in FIELD_GROUPS if key not in keys] == []
    assert set(FIELD_GROUPS.values()) <= ALL_GROUPS


def test_a_field_the_policy_does_not_know_is_refused_loudly():
    with pytest.raises(ImproperlyConfigured):
        field_group("cases.Member.shoe_size")
    with pytest.raises(ImproperlyConfigured):
        readable(CaseAccess(roles=frozenset({Role.SUPERVISOR}), shared=False), "cases.Member.shoe_size")


@pytest.mark.parametrize(("roles", "shared", "reads_note"), [
    ({Role.CASEWORKER}, False, True), ({Role.SUPERVISOR}, False, True), (set(), True, True),
    ({Role.MOVEMENT_OFFICER}, False, False), ({Role.RECEPTION_STAFF}, False, False),
])
def test_timeline_notes_are_read_by_the_case_team_and_shared_users_only(roles, shared, reads_note):
    access = CaseAccess(roles=frozenset(roles), shared=shared)

    assert readable(access, "cases.CaseEvent.note") is reads_note
    assert FieldReader(access)["cases"]["CaseEvent"]["note"] is reads_note
    assert readable(access, "cases.CaseEvent.to_status") is True  # the event itself: when, who, from, to


def test_nobody_without_access_reads_even_bookkeeping():
    assert readable(None, "cases.Case.reference") is False


def test_reception_records_are_read_by_the_centre_and_the_case_team_not_by_movement_officers():
    key = "reception.Handover.official_name"

    assert FIELD_GROUPS[key] == FieldGroup.RECEPTION
    assert readable(CaseAccess(roles=frozenset({Role.RECEPTION_STAFF}), shared=False), key)
    assert readable(CaseAccess(roles=frozenset({Role.CASEWORKER}), shared=False), key)
    assert not readable(CaseAccess(roles=frozenset({Role.MOVEMENT_OFFICER}), shared=False), key)


# The matrix: role x door, with a sentinel in every restricted field.

import csv  # noqa: E402
import io  # noqa: E402
from datetime import date  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import openpyxl  # noqa: E402
import pypdf  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.core import mail  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import Assignment  # noqa: E402
from cases.models import Case, CaseEvent  # noqa: E402
from cases.registration import MemberInput  # noqa: E402
from cases.services import case_share_with_team, case_transition, case_update  # noqa: E402
from notifications.messages import notification_params_checked, notification_subject, notification_text  # noqa: E402
from notifications.models import Notification  # noqa: E402
from screening import services as screening  # noqa: E402
from screening.models import ProtectionScreening  # noqa: E402
from tests.conftest import api_as  # noqa: E402
from tests.factories import household, staff  # noqa: E402
from tests.screening_steps import ready_for_submission  # noqa: E402
from tests.travel_steps import convoy, documents_ready  # noqa: E402
from travel import services as travel  # noqa: E402
from accounts.models import User  # noqa: E402
from travel.models import Booking, Movement  # noqa: E402

NOTES = "CENTINELA-NOTAS-DEL-CASO"
EVENT_NOTE = "CENTINELA-NOTA-DE-LA-SUPERVISORA"
# Restricted to the case team and never on any of the doors below (the screening tab is their only door).
NEVER = {"counselling notes": "CENTINELA-CONSEJERIA", "counselling questions": "CENTINELA-PREGUNTAS",
         "protection narrative": "CENTINELA-NARRATIVA", "vulnerability note": "CENTINELA-VULNERABILIDAD",
         "medical detail": "CENTINELA-DETALLE-MEDICO"}
MX_NAME, GT_NAME = "Hernández López", "Chávez Pop"
ROLES = ["caseworker", "supervisor", "movement_officer", "reception", "shared", "outsider", "admin"]
CASE_TEAM_AND_SHARED = {"caseworker", "supervisor", "shared"}
SEE_THE_CASE = CASE_TEAM_AND_SHARED | {"movement_officer", "reception"}


def through_the_pipeline(case, *, caseworker, supervisor, event_notes=True):
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker, note=EVENT_NOTE if event_notes else "")
    case_transition(case_id=case.pk, to="approved", actor=supervisor, note=EVENT_NOTE if event_notes else "")


def sentinels_written(case, *, caseworker, supervisor):
    case.refresh_from_db()
    case_update(case_id=case.pk, actor=caseworker, expected_version=case.version, changes={"caseworker_notes": NOTES})
    screening.counselling_session_record(actor=caseworker, case_id=case.pk, data={
        "held_on": date(2018, 11, 22), "language": "español", "topics": ["alternatives"],
        "outcome": "wishes_to_return", "questions": NEVER["counselling questions"],
        "notes": NEVER["counselling notes"]})
    member = case.members.get()
    screening.member_screening_save(
        actor=supervisor, member_id=member.pk,
        expected_version=ProtectionScreening.objects.get(member=member).version,
        protection={"fear_of_return": False, "narrative": NEVER["protection narrative"],
                    "screened_on": date(2018, 11, 22)},
        vulnerabilities=[{"kind": "trafficking", "severity": "high", "note": NEVER["vulnerability note"]}],
        fitness={"outcome": "fit", "assessed_on": date(2018, 11, 22), "clinician": "Dra. Ruiz",
                 "detail": NEVER["medical detail"]})


@pytest.fixture
def world(db, caseworker, supervisor, movement_officer, reception, outsider, admin_user, caravan, tij, tum, sps, tap,
          django_capture_on_commit_callbacks):
    """A household of Tijuana booked on a confirmed MX convoy to San Pedro Sula, with a sentinel in every
    restricted field, and a household of Tecún Umán (GT) on the same convoy, booked by a regional officer.
    Every notification and e-mail along the way is sent."""
    with django_capture_on_commit_callbacks(execute=True):
        return world_built(caseworker, supervisor, movement_officer, reception, outsider, admin_user, caravan, tij,
                           tum, sps, tap)


def world_built(caseworker, supervisor, movement_officer, reception, outsider, admin_user, caravan, tij, tum, sps,
                tap):
    for user in (caseworker, supervisor, movement_officer, reception):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    supervisor.is_medical_cleared = supervisor.is_protection_cleared = True
    supervisor.save()
    case = household(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    sentinels_written(case, caseworker=caseworker, supervisor=supervisor)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker, note=EVENT_NOTE)
    case_transition(case_id=case.pk, to="approved", actor=supervisor, note=EVENT_NOTE)

    caseworker_gt = staff("cw_tum", Role.CASEWORKER, office=tum)
    supervisor_gt = staff("sup_gt", Role.SUPERVISOR, programme=caravan, country="GT")
    regional = staff("mov_region", Role.MOVEMENT_OFFICER, country="MX")
    Assignment.objects.create(user=regional, role=Role.MOVEMENT_OFFICER, country="GT")
    other = household(actor=caseworker_gt, programme=caravan, office=tum, people=[MemberInput(
        given_names="Rosa Elvira", family_names=GT_NAME, sex="female", date_of_birth=date(1980, 1, 2),
        nationality="HN", document_type="passport", document_number="PGT777", place_of_origin="Omoa")])
    through_the_pipeline(other, caseworker=caseworker_gt, supervisor=supervisor_gt, event_notes=False)

    documents_ready(case, movement_officer)
    documents_ready(other, regional)
    bus = convoy(movement_officer, tij, sps)
    travel.case_book(actor=movement_officer, movement_id=bus.pk, case_id=case.pk)
    travel.case_book(actor=regional, movement_id=bus.pk, case_id=other.pk)
    travel.movement_transition(actor=movement_officer, movement_id=bus.pk, to="confirmed")

    shared = staff("cw_tap_team", Role.CASEWORKER, office=tap)
    team = Group.objects.create(name="team:protection")
    shared.groups.add(team)
    case_share_with_team(actor=supervisor, case=case, team=team)
    users = {"caseworker": caseworker, "supervisor": supervisor, "movement_officer": movement_officer,
             "reception": reception, "shared": shared, "outsider": outsider, "admin": admin_user}
    return SimpleNamespace(case=Case.objects.get(pk=case.pk), other=other, movement=bus, users=users)


def page(user, url):
    client = Client()
    client.force_login(user)
    response = client.get(url)
    return response.status_code, response.content.decode()


def assert_no_never(text: str):
    assert [name for name, value in NEVER.items() if value in text] == []


@pytest.mark.parametrize("role", ROLES)
def test_the_case_page_shows_case_and_timeline_notes_to_the_case_team_and_shared_users_only(world, role):
    status, text = page(world.users[role], reverse("case_detail", args=[world.case.pk]))

    assert status == (200 if role in SEE_THE_CASE else 404)
    assert (NOTES in text) == (role in CASE_TEAM_AND_SHARED)
    assert (EVENT_NOTE in text) == (role in CASE_TEAM_AND_SHARED)
    assert_no_never(text)
    if status == 200:  # the events themselves are there for everyone who sees the case: when, who, from, to
        assert text.count('data-testid="event"') == CaseEvent.objects.filter(case=world.case).count()


@pytest.mark.parametrize("role", ROLES)
def test_the_case_edit_page_is_refused_before_any_value_to_whoever_may_not_edit(world, role):
    status, text = page(world.users[role], reverse("case_edit", args=[world.case.pk]))

    expected = {"caseworker": 200, "supervisor": 200, "movement_officer": 403, "reception": 403, "shared": 403}
    assert status == expected.get(role, 404)
    assert (NOTES in text) == (status == 200)
    assert_no_never(text)


@pytest.mark.parametrize("role", ["movement_officer", "reception", "shared", "outsider", "admin"])
def test_a_refused_case_edit_saves_nothing(world, role):
    client = Client()
    client.force_login(world.users[role])
    response = client.post(reverse("case_edit", args=[world.case.pk]), {
        "destination_country": "SV", "how_heard": "other", "caseworker_notes": "changed", "intake_date": "2018-11-20",
        "version": world.case.version})

    assert response.status_code in (403, 404)
    assert Case.objects.get(pk=world.case.pk).caseworker_notes == NOTES
    assert Case.objects.get(pk=world.case.pk).version == world.case.version


@pytest.mark.parametrize("role", ROLES)
def test_the_case_api_gives_the_notes_to_the_case_team_and_shared_users_only(world, role):
    response = api_as(world.users[role]).get(f"/api/v1/cases/{world.case.pk}/")

    assert response.status_code == (200 if role in SEE_THE_CASE else 404)
    text = response.content.decode()
    assert (NOTES in text) == (role in CASE_TEAM_AND_SHARED)
    assert ("caseworker_notes" in response.json()) == (role in CASE_TEAM_AND_SHARED)
    assert_no_never(text)


@pytest.mark.parametrize("role", ROLES)
def test_the_timeline_api_shows_every_event_and_its_note_only_to_the_case_team_and_shared_users(world, role):
    response = api_as(world.users[role]).get(f"/api/v1/cases/{world.case.pk}/events/")

    assert response.status_code == (200 if role in SEE_THE_CASE else 404)
    if response.status_code != 200:
        return
    events = response.json()
    assert [e["to_status"] for e in events] == list(
        CaseEvent.objects.filter(case=world.case).order_by("at", "id").values_list("to_status", flat=True))
    assert all({"at", "actor", "from_status", "to_status"} <= set(e) for e in events)
    assert any(e.get("note") == EVENT_NOTE for e in events) == (role in CASE_TEAM_AND_SHARED)
    assert all("note" not in e for e in events) == (role not in CASE_TEAM_AND_SHARED)


# Who sees which household of the movement: by case access, not by the movement's country.
SEES_MOVEMENT = {"supervisor", "movement_officer", "reception"}
SEES_GT_HOUSEHOLD = {"reception"}  # booked to its centre; the MX officer and supervisor do not see GT cases


@pytest.mark.parametrize("role", ROLES)
def test_the_passenger_list_shows_only_the_households_the_reader_may_see_and_counts_the_rest(world, role):
    status, text = page(world.users[role], reverse("movement_detail", args=[world.movement.pk]))

    assert status == (200 if role in SEES_MOVEMENT else 404)
    assert (MX_NAME in text) == (role in SEES_MOVEMENT)
    assert (GT_NAME in text) == (role in SEES_GT_HOUSEHOLD)
    assert (world.other.reference in text) == (role in SEES_GT_HOUSEHOLD)
    assert ('data-testid="passengers-not-shown"' in text) == (role in SEES_MOVEMENT - SEES_GT_HOUSEHOLD)
    assert NOTES not in text and EVENT_NOTE not in text
    assert_no_never(text)


@pytest.mark.parametrize("role", ROLES)
def test_the_movement_api_lists_only_the_households_the_reader_may_see(world, role):
    response = api_as(world.users[role]).get(f"/api/v1/movements/{world.movement.pk}/")

    assert response.status_code == (200 if role in SEES_MOVEMENT else 404)
    if response.status_code != 200:
        return
    body = response.json()
    shown = {p["case"] for p in body["passengers"]}
    assert shown == ({world.case.pk, world.other.pk} if role in SEES_GT_HOUSEHOLD else {world.case.pk})
    assert body["passengers_not_shown"] == (0 if role in SEES_GT_HOUSEHOLD else 1)
    assert body["summary"]["passengers"] == 2  # counts cover everyone on board
    assert NOTES not in response.content.decode()


def manifest_text(kind: str, content: bytes) -> str:
    if kind == "pdf":
        return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    if kind == "csv":
        return content.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


@pytest.mark.parametrize("kind", ["csv", "xlsx", "pdf"])
@pytest.mark.parametrize("role", ROLES)
def test_the_manifest_carries_only_the_households_the_reader_may_see_and_no_restricted_field(world, role, kind):
    client = Client()
    client.force_login(world.users[role])
    from tests.test_manifest import get_ready

    response = get_ready(client, reverse(f"movement_manifest_{kind}", args=[world.movement.pk]))

    assert response.status_code == (200 if role in SEES_MOVEMENT else 404)
    if response.status_code != 200:
        return
    raw = manifest_text(kind, response.content)
    text = " ".join(raw.split())
    assert MX_NAME in text
    assert (GT_NAME in text) == (role in SEES_GT_HOUSEHOLD)
    assert ("PGT777" in text) is False  # the ready consular document is listed, never the passport
    assert NOTES not in text and EVENT_NOTE not in text
    assert_no_never(text)
    if kind == "csv":
        assert len(list(csv.DictReader(io.StringIO(raw)))) == (2 if role in SEES_GT_HOUSEHOLD else 1)
    if kind == "pdf" and role not in SEES_GT_HOUSEHOLD:
        assert "Not listed: households you do not see" in text


def test_a_manifest_download_audits_only_the_cases_it_carries(world):
    from audit.models import AuditAction, AuditEvent

    client = Client()
    client.force_login(world.users["movement_officer"])
    client.get(reverse("movement_manifest_csv", args=[world.movement.pk]))

    export = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="travel.movement").latest("id")
    assert export.object_ids == [world.case.pk]


def test_notifications_carry_no_personal_data(world):
    texts = []
    for notification in Notification.objects.all():
        texts += [str(notification.params), notification_text(notification), notification_subject(notification)]
    texts += [f"{m.subject} {m.body}" for m in mail.outbox]
    text = " ".join(texts)

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"case_pending_approval", "case_approved", "movement_confirmed"} <= kinds, kinds
    assert mail.outbox
    for secret in (NOTES, EVENT_NOTE, MX_NAME, GT_NAME, "María José", "Rosa Elvira", "PTIJ123", "PGT777",
                   *NEVER.values()):
        assert secret not in text


@pytest.mark.parametrize("params", [{"reference": "María José Hernández"}, {"name": "Rosa"}, {"count": "3"},
                                    {"reference": NOTES + " x"}])
def test_a_notification_with_a_name_or_a_note_is_refused_before_it_is_stored(params):
    with pytest.raises(ValueError):
        notification_params_checked(params)


def test_a_notification_with_references_and_counts_is_accepted():
    params = {"reference": "TIJ-2018-00001", "count": 3, "expected": "2018-11-25"}

    assert notification_params_checked(params) == params


def admin_staff(user):
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"],
                                                         content_type__app_label="cases"))
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("role", ["admin", "movement_officer", "reception", "supervisor"])
def test_the_admin_shows_no_personal_field_to_anyone_and_edits_nothing(world, role):
    user = admin_staff(world.users[role])
    status, text = page(user, f"/admin/cases/case/{world.case.pk}/change/")

    if role == "admin":
        assert status == 302  # the admin role sees no case at all: the admin sends it back to its index
        assert NOTES not in text
        return
    assert status == 200
    assert NOTES not in text and 'name="caseworker_notes"' not in text  # read on the case pages, never here
    assert_no_never(text)


def test_an_officer_who_does_not_see_every_household_on_board_cannot_record_the_departure(world):
    from tests.reception_steps import day_of_travel

    officer, regional = world.users["movement_officer"], User.objects.get(username="mov_region")
    day_of_travel(world.movement)
    everyone = list(Booking.objects.filter(movement=world.movement).values_list("member_id", flat=True))

    refused = api_as(officer).post(f"/api/v1/movements/{world.movement.pk}/transitions/",
                                   {"to": "departed", "boarded": everyone}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    assert Case.objects.get(pk=world.other.pk).status == "booked"
    assert Movement.objects.get(pk=world.movement.pk).status == "confirmed"

    departed = api_as(regional).post(f"/api/v1/movements/{world.movement.pk}/transitions/",
                                     {"to": "departed", "boarded": everyone}, format="json")
    assert departed.status_code == 200
    assert set(Case.objects.filter(pk__in=[world.case.pk, world.other.pk]).values_list("status", flat=True)) == {
        "in_transit"}
