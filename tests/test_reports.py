"""The donor report's numbers from a dataset built through the services, with and without suppression."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reception import services as reception_services
from reception.models import Institution, KitDelivery
from reports.data import donor_report_data, report_json
from screening.models import CounsellingSession
from tests.reception_steps import approved, child_alone, convoy, departed, documents_ready
from tests.screening_steps import family, screen
from travel import services as travel_services

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERIOD = {"period_start": TODAY - timedelta(days=30), "period_end": TODAY + timedelta(days=30)}


@pytest.fixture
def returned(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    """A family of three (mother, father, son of eight) and a girl alone: bused to San Pedro Sula, all received;
    the mother gets a kit and 500 HNL and is referred to the employment service; the father is a victim of
    trafficking."""
    the_family = approved(family(actor=caseworker, programme=caravan, office=tij, intake_date=TODAY), caseworker,
                          supervisor)
    jorge = the_family.members.get(given_names="Jorge")
    screen(jorge, caseworker, vulnerabilities=[{"kind": "trafficking", "severity": "high"}],
           version=jorge.protection.version)
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij,
                       intake_date=TODAY)
    for case in (the_family, girl):
        documents_ready(case, movement_officer)
    bus = convoy(movement_officer, tij, sps, days_ahead=1)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [the_family, girl])
    for member in [*the_family.members.all(), *girl.members.all()]:
        reception_services.check_in(actor=reception, movement_id=bus.pk, member_id=member.pk)
    KitDelivery.objects.create(centre=sps, quantity=10, received_on=TODAY, recorded_by=reception)
    ana = the_family.members.get(given_names="Ana Lucía")
    reception_services.assistance_give(actor=reception, member_id=ana.pk, kind="hygiene_kit", request_key="k")
    reception_services.assistance_give(actor=reception, member_id=ana.pk, kind="transport_money", request_key="m",
                                       amount=500, currency="HNL")
    CounsellingSession.objects.update(held_on=TODAY)
    employment = Institution.objects.create(name="SENAEH", country="HN", services=["employment"])
    reception_services.referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                               service="employment")
    reception_services.referral_create(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                       service="employment")
    return the_family, girl


def rows(data, name, key):
    return {row[key]: row["count"] for row in data.table(name).rows}


def test_every_table_holds_the_known_numbers_when_nothing_is_suppressed(returned, caravan):
    data = donor_report_data(programme=caravan, generated_at=timezone.now(), suppressed=False, **PERIOD)

    assert rows(data, "pipeline", "stage") == {"registered": 4, "counselled": 4, "approved": 4, "returned": 4,
                                               "received": 4}
    assert rows(data, "returned_by_sex", "sex") == {"female": 2, "male": 2}
    assert rows(data, "returned_by_age_band", "age_band") == {"5-11": 1, "12-17": 1, "25-59": 2}
    assert rows(data, "returned_by_child_status", "child_status") == {"adult": 2, "accompanied_child": 1,
                                                                      "unaccompanied_child": 1}
    assert rows(data, "returned_by_transport_mode", "transport_mode") == {"bus": 4}
    assert rows(data, "returned_by_office", "office") == {"TIJ": 4}
    assert rows(data, "returned_by_country_of_return", "country_of_return") == {"HN": 4}
    assert rows(data, "vulnerabilities", "vulnerability") == {"trafficking": 1, "unaccompanied_child": 1}
    assert rows(data, "assistance", "assistance") == {"hygiene_kit": 1, "transport_money": 1}
    assert [(r["currency"], r["amount"]) for r in data.table("transport_money").rows] == [("HNL", 500)]
    assert [(r["service"], r["outcome"], r["count"]) for r in data.table("referrals").rows] == [
        ("employment", "sent", 1)]
    assert rows(data, "exits", "exit") == {"withdrawn": 0, "no_show": 0, "referred_out": 0}
    assert sum(rows(data, "returns_per_week", "week").values()) == 4
    assert data.median_days == 0  # registered today, left today (a departure is recorded when the bus leaves)
    assert [r["percent"] for r in data.table("returned_by_sex").rows] == [50, 50]


def test_small_counts_are_suppressed_in_donor_exports_even_by_subtraction(returned, caravan):
    data = donor_report_data(programme=caravan, generated_at=timezone.now(), **PERIOD)
    caravan.suppression_threshold = 2
    caravan.save()
    lower = donor_report_data(programme=caravan, generated_at=timezone.now(), **PERIOD)

    # threshold 5: every non-zero count of this small dataset is hidden
    assert all(row["suppressed"] for row in data.table("returned_by_sex").rows)
    assert data.median_days_suppressed
    # threshold 2: single people are hidden, and one more cell so they cannot be worked out from the total
    status = {r["child_status"]: r["suppressed"] for r in lower.table("returned_by_child_status").rows}
    assert status == {"adult": False, "accompanied_child": True, "unaccompanied_child": True}
    age = {r["age_band"]: r["suppressed"] for r in lower.table("returned_by_age_band").rows}
    assert age == {"5-11": True, "12-17": True, "25-59": False}
    body = report_json(lower)
    assert {"child_status": "accompanied_child", "count": "<2", "percent": None} in body["tables"][
        "returned_by_child_status"]


def test_the_report_counts_only_its_programme_and_period(returned, nicaragua):
    other = donor_report_data(programme=nicaragua, generated_at=timezone.now(), suppressed=False, **PERIOD)
    before = donor_report_data(programme=None, generated_at=timezone.now(), suppressed=False,
                               period_start=date(2018, 1, 1), period_end=date(2018, 12, 31))

    assert rows(other, "pipeline", "stage")["registered"] == 0
    assert rows(before, "pipeline", "stage")["returned"] == 0


def test_no_share_or_head_count_gives_a_hidden_cell_away():
    from reports.aggregates import Table
    from reports.suppression import suppress, with_percentages

    vulnerabilities = with_percentages(suppress(Table("vulnerabilities", ["vulnerability"], [
        {"vulnerability": "trafficking", "count": 1}, {"vulnerability": "pregnant", "count": 9}], has_total=False), 5))
    pipeline = with_percentages(suppress(Table("pipeline", ["stage"], [
        {"stage": "registered", "count": 3}, {"stage": "returned", "count": 7}], has_total=False), 5))

    assert [r["percent"] for r in vulnerabilities.rows] == [None, None]  # overlapping rows: no shares at all
    assert [r["percent"] for r in pipeline.rows] == [None, None]  # the base itself is hidden


def test_few_people_assisted_many_times_are_not_counted_in_the_json(returned, caravan):
    from reception.models import Assistance

    Assistance.objects.filter(kind="hygiene_kit").update(kind="food")
    for key in range(8):
        Assistance.objects.create(member_id=Assistance.objects.first().member_id, centre_id=Assistance.objects.first(
        ).centre_id, kind="food", given_at=timezone.now(), given_by_id=Assistance.objects.first().given_by_id,
            request_key=f"food-{key}")

    body = report_json(donor_report_data(programme=caravan, generated_at=timezone.now(), **PERIOD))

    food = next(row for row in body["tables"]["assistance"] if row["assistance"] == "food")
    assert (food["count"], food["people"]) == (9, "<5")
