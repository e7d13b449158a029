"""Follow-up plans after return: scheduling on arrival, the daily sweep, attempts, questionnaires and their scores,
safeguarding flags and tasks, who sees what, and the donor report's follow-up tables."""

from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import Case
from notifications.messages import notification_text
from notifications.models import Notification
from reception import followups
from reception.models import (
    FollowUp,
    FollowUpAnswer,
    FollowUpAttempt,
    FollowUpFlag,
    FollowUpPlan,
    FollowUpScore,
    FollowUpStep,
    Instrument,
    InstrumentItem,
    InstrumentVersion,
    SafeguardingTask,
)
from reception.services import follow_ups_schedule_for
from tests.conftest import api_as
from tests.factories import staff
from tests.reception_steps import approved, convoy, departed, documents_ready
from tests.screening_steps import family
from travel import services as travel_services

pytestmark = pytest.mark.django_db

GOOD = {"working": "yes", "income": "4", "debt": "250", "feels_safe": "yes", "migrate": "no", "needs": "Empleo"}


@pytest.fixture
def instrument(db):
    version = InstrumentVersion.objects.create(
        instrument=Instrument.objects.create(code="monitoring", name_es="Monitoreo", name_en="Monitoring"),
        number=1, published_at=timezone.now())
    items = [
        {"code": "working", "text_es": "¿Trabaja?", "text_en": "Are you working?", "answer_type": "yes_no",
         "dimension": "economic", "weight": 2},
        {"code": "income", "text_es": "¿Le alcanzan sus ingresos?", "text_en": "Does your income cover your needs?",
         "answer_type": "scale", "dimension": "economic", "weight": 1},
        {"code": "debt", "text_es": "¿Cuánto debe?", "text_en": "How much do you owe?", "answer_type": "number",
         "min_value": 0, "max_value": 1000, "reverse_scored": True, "dimension": "economic", "weight": 1},
        {"code": "feels_safe", "text_es": "¿Se siente seguro?", "text_en": "Do you feel safe?", "answer_type": "yes_no",
         "dimension": "psychosocial", "flag": "not_safe", "flag_when": ["no"]},
        {"code": "migrate", "text_es": "¿Piensa migrar de forma irregular?", "text_en": "Migrate again irregularly?",
         "answer_type": "yes_no", "flag": "migrate_irregularly", "flag_when": ["yes"]},
        {"code": "needs", "text_es": "¿Qué necesita?", "text_en": "What do you need?", "answer_type": "text",
         "required": False},
    ]
    for order, item in enumerate(items):
        InstrumentItem.objects.create(version=version, order=order, **item)
    return version


@pytest.fixture
def focal_point(db):
    return staff("protection_fp", "supervisor")


@pytest.fixture
def plan(caravan, instrument, focal_point):
    plan = FollowUpPlan.objects.create(programme=caravan, max_failed_attempts=2, protection_focal_point=focal_point,
                                       referral_due_days=3)
    FollowUpStep.objects.create(plan=plan, name="Month 1", offset_days=30, window_days=14,
                                instrument_version=instrument)
    FollowUpStep.objects.create(plan=plan, name="Month 3", offset_days=90, window_days=21,
                                instrument_version=instrument)
    return plan


@pytest.fixture
def arrived(plan, caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    """A family of three back in San Pedro Sula; only Ana agreed to be contacted after return."""
    from reception.services import check_in
    from screening.services import member_consent_record

    the_family = family(actor=caseworker, programme=caravan, office=tij)
    ana = the_family.members.order_by("id").first()
    member_consent_record(actor=caseworker, member_id=ana.pk, data={"scope": "follow_up", "type": "explicit",
                                                                    "given_on": timezone.localdate()})
    the_family = approved(the_family, caseworker, supervisor)
    documents_ready(the_family, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [the_family])
    for member in the_family.members.all():
        check_in(actor=reception, movement_id=bus.pk, member_id=member.pk)
    assert Case.objects.get(pk=the_family.pk).status == "arrived"
    return the_family, ana


def month_1(ana) -> FollowUp:
    return FollowUp.objects.get(member=ana, step__name="Month 1")


def attempt(user, follow_up, outcome="no_answer", key=None, answers=None, **extra):
    follow_up.refresh_from_db()
    return followups.follow_up_attempt_record(
        actor=user, follow_up_id=follow_up.pk, channel="phone", outcome=outcome,
        request_key=key or f"k-{FollowUpAttempt.objects.count()}-{outcome}", expected_version=follow_up.version,
        answers=answers, **extra)


def due_now(follow_up) -> FollowUp:
    FollowUp.objects.filter(pk=follow_up.pk).update(status="due")
    follow_up.refresh_from_db()
    return follow_up


# --- scheduling and the sweep ----------------------------------------------------------------------------------------

def test_arrival_creates_one_follow_up_per_step_for_adults_who_consented_and_again_nothing(arrived):
    the_family, ana = arrived
    today = timezone.localdate()

    follow_ups_schedule_for(Case.objects.get(pk=the_family.pk))

    rows = FollowUp.objects.order_by("opens_on")
    assert [(f.member_id, f.step.name, f.status) for f in rows] == [(ana.pk, "Month 1", "scheduled"),
                                                                     (ana.pk, "Month 3", "scheduled")]
    first = rows[0]
    assert (first.opens_on, first.closes_on) == (today + timedelta(days=30), today + timedelta(days=44))
    assert first.instrument_version.number == 1


def test_the_sweep_opens_and_closes_windows_and_a_second_run_changes_nothing(arrived):
    _family, _ana = arrived
    today = timezone.localdate()

    opened = followups.follow_ups_sweep(today=today + timedelta(days=30))
    again = followups.follow_ups_sweep(today=today + timedelta(days=30))
    closed = followups.follow_ups_sweep(today=today + timedelta(days=45))

    assert opened == {"due": 1, "overdue": 0} and again == {"due": 0, "overdue": 0}
    assert closed == {"due": 0, "overdue": 1}
    assert dict(FollowUp.objects.values_list("step__name", "status")) == {"Month 1": "overdue",
                                                                          "Month 3": "scheduled"}


def test_the_daily_beat_job_sweeps_and_tells_the_centre_counts_only_once(arrived, reception):
    from reception.tasks import follow_ups_sweep_task

    _family, ana = arrived
    FollowUp.objects.filter(step__name="Month 1").update(opens_on=timezone.localdate(), due_on=timezone.localdate())
    entry = settings.CELERY_BEAT_SCHEDULE["follow-ups-sweep"]

    follow_ups_sweep_task.delay()
    follow_ups_sweep_task.delay()

    assert entry["task"] == "reception.tasks.follow_ups_sweep_task"
    assert month_1(ana).status == "due"
    notes = Notification.objects.filter(kind="follow_ups_due", recipient=reception)
    assert notes.count() == 1 and notes.get().params == {"count": 1}
    assert ana.full_name not in notification_text(notes.get())


def test_withdrawing_the_consent_cancels_the_open_follow_ups(arrived, reception):
    from rights.services import consent_withdraw

    _family, ana = arrived
    consent = ana.consents.get(scope="follow_up")

    consent_withdraw(actor=reception, consent_id=consent.pk)

    assert set(FollowUp.objects.values_list("status", flat=True)) == {"cancelled"}


def test_a_programme_s_months_become_a_plan_with_one_step(nicaragua):
    nicaragua.follow_up_months = 2
    nicaragua.save()
    migration = import_module("reception.migrations.0007_follow_up_plans_from_months")

    migration.plans_from_months(apps, None)
    migration.plans_from_months(apps, None)

    step = FollowUpStep.objects.get(plan__programme=nicaragua)
    assert (step.offset_days, step.window_days, step.instrument_version) == (60, 14, None)


# --- attempts --------------------------------------------------------------------------------------------------------

def test_failed_attempts_make_the_person_unreachable_after_the_plan_s_limit(arrived, reception):
    _family, ana = arrived
    follow_up = due_now(month_1(ana))

    attempt(reception, follow_up, "no_answer")
    after_one = month_1(ana).status
    call_back = attempt(reception, follow_up, "call_back", call_back_on=timezone.localdate())
    attempt(reception, follow_up, "wrong_number")

    assert after_one == "due" and call_back.follow_up.call_back_on == timezone.localdate()
    assert month_1(ana).status == "unreachable"
    with pytest.raises(Exception, match="ya está resuelto"):
        attempt(reception, follow_up, "no_answer")
    assert FollowUpAttempt.objects.count() == 3


def test_a_double_submit_records_one_attempt_and_an_older_version_meets_a_conflict(arrived, reception, sps):
    from cases.services import StaleVersion

    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    colleague = staff("rec_sps_2", "reception_staff", office=sps)
    version = follow_up.version

    first = attempt(reception, follow_up, "call_back", key="same", call_back_on=timezone.localdate())
    twice = followups.follow_up_attempt_record(actor=reception, follow_up_id=follow_up.pk, channel="phone",
                                               outcome="call_back", request_key="same", expected_version=version,
                                               call_back_on=timezone.localdate())
    with pytest.raises(StaleVersion):
        followups.follow_up_attempt_record(actor=colleague, follow_up_id=follow_up.pk, channel="phone",
                                           outcome="refused", request_key="other", expected_version=version)

    assert twice.replayed and twice.attempt.pk == first.attempt.pk
    assert FollowUpAttempt.objects.count() == 1 and month_1(ana).status == "due"


# --- answers, versions and scores ------------------------------------------------------------------------------------

@pytest.mark.parametrize("answers, field", [
    ({**GOOD, "debt": "5000"}, "q_debt"), ({**GOOD, "income": "7"}, "q_income"),
    ({**GOOD, "working": "maybe"}, "q_working"), ({k: v for k, v in GOOD.items() if k != "feels_safe"},
                                                  "q_feels_safe")])
def test_an_answer_out_of_range_is_a_field_error_and_nothing_is_saved(arrived, reception, answers, field):
    from django.core.exceptions import ValidationError

    _family, ana = arrived
    follow_up = due_now(month_1(ana))

    with pytest.raises(ValidationError) as refused:
        attempt(reception, follow_up, "completed", answers=answers)

    assert list(refused.value.message_dict) == [field]
    assert not FollowUpAttempt.objects.exists() and not FollowUpAnswer.objects.exists()
    assert month_1(ana).status == "due" and month_1(ana).version == follow_up.version


def test_the_api_answers_an_out_of_range_answer_with_a_400_in_spanish_and_saves_nothing(arrived, reception):
    _family, ana = arrived
    follow_up = due_now(month_1(ana))

    response = api_as(reception).post(f"/api/v1/follow-ups/{follow_up.pk}/attempts/", {
        "channel": "phone", "outcome": "completed", "version": follow_up.version,
        "answers": {**GOOD, "debt": "-3"}}, format="json", HTTP_IDEMPOTENCY_KEY="k1", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["fields"]["q_debt"] == ["Dé un número de 0 a 1000."]
    assert not FollowUpAttempt.objects.exists()


def test_completed_answers_are_scored_as_weighted_means_and_scored_again_when_weights_change(arrived, reception,
                                                                                             instrument):
    from django.core.management import call_command

    _family, ana = arrived
    follow_up = due_now(month_1(ana))

    attempt(reception, follow_up, "completed", answers=GOOD)
    stored = dict(FollowUpScore.objects.values_list("dimension", "score"))
    # economic: working yes (1, weight 2), income 4 -> 0.75, debt 250 of 1000 reversed -> 0.75: (2 + .75 + .75) / 4
    assert stored == {"economic": Decimal("0.8750"), "psychosocial": Decimal("1.0000")}
    assert FollowUpAnswer.objects.get(item__code="debt").value == "250"
    assert month_1(ana).status == "completed" and month_1(ana).done_on == timezone.localdate()

    InstrumentItem.objects.filter(version=instrument, code="working").update(weight=0)
    call_command("follow_up_scores_recompute")

    assert FollowUpScore.objects.get(dimension="economic").score == Decimal("0.7500")


def test_a_version_in_use_is_frozen_in_the_admin_and_a_new_version_is_made_instead(client, admin_user, arrived,
                                                                                   instrument):
    from reception.admin import InstrumentItemForm
    from reception.instruments import instrument_version_copy

    item = instrument.items.get(code="income")
    data = {name: getattr(item, name) for name in InstrumentItemForm.Meta.fields}
    data.update(options="[]", flag_when="[]", min_value="", max_value="")

    reworded = InstrumentItemForm({**data, "text_en": "Another question"}, instance=item)
    reweighted = InstrumentItemForm({**data, "weight": "3"}, instance=item)

    with translation.override("es"):  # the message's language, whatever an earlier test left active
        assert not reworded.is_valid() and "está en uso" in str(reworded.non_field_errors())
    assert reweighted.is_valid(), reweighted.errors
    assert InstrumentItem.objects.get(pk=item.pk).text_en == "Does your income cover your needs?"
    copy = instrument_version_copy(instrument)
    fresh = copy.items.get(code="income")
    assert copy.number == 2 and InstrumentItemForm({**data, "text_en": "Another question"}, instance=fresh).is_valid()


def test_the_admin_page_refuses_to_change_a_question_of_a_version_in_use(client, admin_user, arrived, instrument):
    client.force_login(admin_user)
    url = reverse("admin:reception_instrumentversion_change", args=[instrument.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {"instrument": instrument.instrument_id, "number": 1, "published_at_0": "", "published_at_1": ""}
    formset = page.context["inline_admin_formsets"][0].formset
    data.update({f"{formset.prefix}-TOTAL_FORMS": str(len(formset.forms)),
                 f"{formset.prefix}-INITIAL_FORMS": str(len(formset.forms)),
                 f"{formset.prefix}-MIN_NUM_FORMS": "0", f"{formset.prefix}-MAX_NUM_FORMS": "1000"})
    for index, item_form in enumerate(formset.forms):
        for name, field in item_form.fields.items():
            value = item_form.initial.get(name, "")
            data[f"{formset.prefix}-{index}-{name}"] = field.prepare_value(value) if value is not None else ""
        data[f"{formset.prefix}-{index}-id"] = item_form.instance.pk
        data[f"{formset.prefix}-{index}-version"] = instrument.pk
    for key in [k for k, v in data.items() if v is False]:
        data.pop(key)
    data[f"{formset.prefix}-0-text_en"] = "Changed"

    refused = client.post(url, data)

    assert refused.status_code == 200 and "in use" in refused.content.decode()
    assert instrument.items.get(order=0).text_en == "Are you working?"


# --- safeguarding ----------------------------------------------------------------------------------------------------

def test_safeguarding_answers_raise_flags_a_task_and_a_notification_without_personal_data(
        arrived, reception, focal_point, django_capture_on_commit_callbacks, client):
    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    answers = {**GOOD, "feels_safe": "no", "migrate": "yes"}

    with django_capture_on_commit_callbacks(execute=True):
        attempt(reception, follow_up, "completed", answers=answers)

    assert set(FollowUpFlag.objects.values_list("kind", flat=True)) == {"not_safe", "migrate_irregularly"}
    tasks = SafeguardingTask.objects.all()
    assert {t.assignee_id for t in tasks} == {focal_point.pk}
    assert {t.due_on for t in tasks} == {timezone.localdate() + timedelta(days=3)}
    notes = Notification.objects.filter(recipient=focal_point, kind="safeguarding_task")
    assert notes.count() == 2 and all(n.params == {} and n.case_id is None for n in notes)
    assert all(ana.full_name not in (m.body + m.subject) and ana.given_names not in m.body for m in mail.outbox)

    client.force_login(focal_point)
    page = client.get(reverse("safeguarding_task_list")).content.decode()
    task = tasks.first()
    empty = client.post(reverse("safeguarding_task_close", args=[task.pk]), {f"t{task.pk}-note": ""})
    closed = client.post(reverse("safeguarding_task_close", args=[task.pk]), {f"t{task.pk}-note": "Called, safe"})

    assert f'data-task="{task.pk}"' in page and empty.status_code == closed.status_code == 302
    task.refresh_from_db()
    assert task.closed_by == focal_point and task.note == "Called, safe"


def test_someone_else_s_task_is_not_found(arrived, reception, other_reception, client):
    _family, ana = arrived
    attempt(reception, due_now(month_1(ana)), "completed", answers={**GOOD, "feels_safe": "no"})
    task = SafeguardingTask.objects.get()

    client.force_login(other_reception)
    response = client.post(reverse("safeguarding_task_close", args=[task.pk]), {f"t{task.pk}-note": "x"})

    assert response.status_code == 404 and SafeguardingTask.objects.get().closed_at is None


# --- who sees what ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["other_reception", "caseworker", "movement_officer", "supervisor"])
def test_only_the_centre_s_reception_staff_see_a_follow_up_on_the_page_and_the_api(arrived, request, client, who):
    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    user = request.getfixturevalue(who)
    client.force_login(user)

    page = client.get(reverse("follow_up_detail", args=[follow_up.pk]))
    posted = api_as(user).post(f"/api/v1/follow-ups/{follow_up.pk}/attempts/", {
        "channel": "phone", "outcome": "no_answer", "version": follow_up.version}, format="json",
        HTTP_IDEMPOTENCY_KEY="x")
    queue = api_as(user).get("/api/v1/follow-ups/")

    assert page.status_code == 404 and posted.status_code == 404
    assert queue.status_code == 404 or queue.json() == []
    assert not FollowUpAttempt.objects.exists()


def test_the_queue_lists_due_overdue_and_call_backs_of_the_centre(arrived, reception, client):
    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    FollowUp.objects.filter(step__name="Month 3").update(status="overdue")
    client.force_login(reception)

    due = client.get(reverse("follow_up_queue")).content.decode()
    overdue = api_as(reception).get("/api/v1/follow-ups/?tab=overdue").json()
    attempt(reception, follow_up, "call_back", call_back_on=timezone.localdate())
    call_back = client.get(reverse("follow_up_queue") + "?tab=call_back").content.decode()
    bad_tab = api_as(reception).get("/api/v1/follow-ups/?tab=nope")

    assert f'data-follow-up="{follow_up.pk}"' in due and ana.full_name in due
    assert [row["step_name"] for row in overdue] == ["Month 3"]
    assert f'data-follow-up="{follow_up.pk}"' in call_back
    assert bad_tab.status_code == 400


def test_the_page_records_the_answers_in_the_reader_s_language_with_errors_by_question(arrived, reception, client):
    from django.contrib.auth import get_user_model

    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    get_user_model().objects.filter(pk=reception.pk).update(language="es")
    client.force_login(reception)
    url = reverse("follow_up_detail", args=[follow_up.pk])
    page = client.get(url)
    form = page.context["form"]
    base = {"version": follow_up.version, "request_key": form.initial["request_key"], "channel": "phone",
            "outcome": "completed", **{f"q_{k}": v for k, v in GOOD.items()}}

    wrong = client.post(url, {**base, "q_debt": "9999"})
    saved_after_wrong = FollowUpAnswer.objects.exists()
    done = client.post(url, base)
    again = client.post(url, base)

    assert "¿Cuánto debe?" in page.content.decode()
    assert "Dé un número de 0 a 1000." in wrong.content.decode() and not saved_after_wrong
    assert done.status_code == again.status_code == 302
    assert FollowUpAttempt.objects.count() == 1 and month_1(ana).status == "completed"


# --- donor report ----------------------------------------------------------------------------------------------------

def test_the_report_counts_follow_ups_and_shows_mean_scores_only_above_the_threshold(arrived, reception, caravan):
    from reports.aggregates import Period
    from reports.data import donor_report_data, report_json
    from reports.followup import follow_up_tables

    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    attempt(reception, follow_up, "completed", answers=GOOD)
    day = follow_up.due_on
    tables = {t.name: t for t in follow_up_tables(Period(day, day, caravan.pk))}

    assert tables["follow_ups"].rows[:2] == [{"follow_up": "due", "count": 1}, {"follow_up": "reached", "count": 1}]
    by_sex = tables["follow_up_scores_by_sex"].rows
    assert {(r["score_dimension"], r["count"], r["score"]) for r in by_sex} == {("economic", 1, 0.88),
                                                                                ("psychosocial", 1, 1.0)}
    caravan.suppression_threshold = 1
    shown = report_json(donor_report_data(programme=caravan, period_start=day, period_end=day,
                                          generated_at=timezone.now()))
    caravan.suppression_threshold = 5
    hidden = report_json(donor_report_data(programme=caravan, period_start=day, period_end=day,
                                           generated_at=timezone.now()))
    assert shown["tables"]["follow_ups"][1]["percent"] == 100
    assert {r["score"] for r in shown["tables"]["follow_up_scores_by_sex"]} == {0.88, 1.0}
    assert {(r["count"], r["score"]) for r in hidden["tables"]["follow_up_scores_by_age_band"]} == {("<5", None)}


def test_the_report_files_show_the_follow_up_tables(arrived, reception, caravan):
    from reports.data import donor_report_data
    from reports.formats import render

    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    attempt(reception, follow_up, "completed", answers=GOOD)
    caravan.suppression_threshold = 1
    data = donor_report_data(programme=caravan, period_start=follow_up.due_on, period_end=follow_up.due_on,
                             generated_at=timezone.now())

    csv_text = render(data, "csv")[0].decode("utf-8-sig")
    render(data, "xlsx")

    assert "follow_up_scores_by_sex,score_dimension;sex,economic;" in csv_text and ",0.88" in csv_text


def test_the_demo_plan_is_made_once(caravan, admin_user):
    from reception.demo_followup import demo_follow_up_ensure

    first = demo_follow_up_ensure()
    second = demo_follow_up_ensure()

    assert first.pk == second.pk and list(first.steps.values_list("offset_days", flat=True)) == [30, 90]
    version = InstrumentVersion.objects.get(instrument__code="reintegration-monitoring")
    assert version.items.count() == 9
    assert set(version.items.exclude(flag="").values_list("flag", flat=True)) == {
        "not_safe", "migrate_irregularly", "health_distress"}


def test_two_staff_on_one_follow_up_the_second_meets_a_conflict_on_the_page_and_nothing_is_overwritten(
        arrived, reception, sps, client):
    from django.test import Client

    _family, ana = arrived
    follow_up = due_now(month_1(ana))
    colleague = staff("rec_sps_2", "reception_staff", office=sps)
    url = reverse("follow_up_detail", args=[follow_up.pk])
    client.force_login(reception)
    other = Client()
    other.force_login(colleague)
    mine = client.get(url).context["form"].initial
    theirs = other.get(url).context["form"].initial

    client.post(url, {"version": mine["version"], "request_key": mine["request_key"], "channel": "phone",
                      "outcome": "refused"})
    late = other.post(url, {"version": theirs["version"], "request_key": theirs["request_key"],
                            "channel": "visit", "outcome": "no_answer"}, follow=True)

    assert "Otra persona registró un intento en este seguimiento" in late.content.decode()
    assert list(FollowUpAttempt.objects.values_list("outcome", flat=True)) == ["refused"]
    assert month_1(ana).status == "refused"


def test_anonymising_a_case_empties_the_answers_and_notes_and_keeps_the_scores():
    from retention.plan import anonymisation_plan

    plans = {plan.label: plan for plan in anonymisation_plan()}

    assert set(plans["reception.FollowUpAnswer"].values) == {"value"}
    assert set(plans["reception.FollowUpAttempt"].values) == {"note"}
    assert set(plans["reception.SafeguardingTask"].values) == {"note"}
    assert "reception.FollowUpScore" not in plans and "reception.FollowUpFlag" not in plans


def test_the_person_s_own_export_holds_their_attempts_answers_flags_and_tasks(arrived, reception, caseworker):
    from rights.selectors import member_export, member_for_export

    _family, ana = arrived
    attempt(reception, due_now(month_1(ana)), "completed", answers={**GOOD, "feels_safe": "no"})

    member, access = member_for_export(user=caseworker, member_id=ana.pk)
    export = member_export(member=member, access=access, actor=caseworker)

    assert [a["outcome"] for a in export["follow_up_attempts"]] == ["completed"]
    assert {a["item"]: a["value"] for a in export["follow_up_answers"]}["feels_safe"] == "no"
    assert [f["kind"] for f in export["follow_up_flags"]] == ["not_safe"]
    assert len(export["safeguarding_tasks"]) == 1


def test_a_plan_without_a_protection_focal_point_is_refused_in_the_admin(client, admin_user, nicaragua):
    client.force_login(admin_user)
    url = reverse("admin:reception_followupplan_add")
    form = {"programme": nicaragua.pk, "max_failed_attempts": 3, "protection_focal_point": "",
            "referral_due_days": 3, "steps-TOTAL_FORMS": 0, "steps-INITIAL_FORMS": 0}

    refused = client.post(url, form)

    assert refused.status_code == 200 and "Name the protection focal point" in refused.content.decode()
    assert not FollowUpPlan.objects.filter(programme=nicaragua).exists()
