"""What the admin needs to set up a programme alone: countries ticked from the list, kit deliveries recorded by
headquarters with the centre's own rules; bad input is explained and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from accounts.choices import OfficeKind
from accounts.models import Programme, User
from reception.models import KitDelivery
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def programme_form(**changes) -> dict:
    body = {"code": "PAN-2021", "name": "Darién AVR 2021", "donor": "PRM", "registration_countries": ["PA"],
            "return_countries": ["CO"], "start_date": "2021-01-01", "retention_months": "24"}
    return {**body, **changes}


def errors(response) -> dict:
    form = response.context["adminform"].form
    return {name: list(messages) for name, messages in form.errors.items()}


@pytest.fixture
def cucuta(db):
    return OfficeFactory(code="CO-CUC", name="Centro de recepción de Cúcuta", kind=OfficeKind.RECEPTION_CENTRE,
                         country="CO")


def test_an_admin_ticks_a_programmes_countries_and_they_are_stored_as_codes(client, admin_user):
    client.force_login(admin_user)

    page = client.get("/admin/accounts/programme/add/").content.decode()
    response = client.post("/admin/accounts/programme/add/", programme_form(registration_countries=["PA", "CR"]))

    assert 'type="checkbox" name="registration_countries" value="PA"' in page
    assert response.status_code == 302
    programme = Programme.objects.get(code="PAN-2021")
    assert (programme.registration_countries, programme.return_countries) == (["PA", "CR"], ["CO"])


@pytest.mark.parametrize("changes, field", [
    ({"registration_countries": []}, "registration_countries"),
    ({"return_countries": ["ZZ"]}, "return_countries"),
])
def test_a_programme_without_a_known_country_is_refused_and_not_saved(client, admin_user, changes, field):
    client.force_login(admin_user)

    with translation.override("en"):
        response = client.post("/admin/accounts/programme/add/", programme_form(**changes))

    assert response.status_code == 200
    assert field in errors(response)
    assert not Programme.objects.filter(code="PAN-2021").exists()


def test_headquarters_records_a_centres_first_kit_delivery_as_itself(client, admin_user, cucuta):
    client.force_login(admin_user)

    response = client.post("/admin/reception/kitdelivery/add/", {
        "centre": cucuta.pk, "quantity": "40", "received_on": f"{timezone.localdate():%Y-%m-%d}", "note": "inicial"})

    assert response.status_code == 302
    delivery = KitDelivery.objects.get()
    assert (delivery.centre, delivery.quantity, delivery.recorded_by) == (cucuta, 40, admin_user)


@pytest.mark.parametrize("changes, field, message", [
    ({"quantity": "0"}, "quantity", "Al menos un kit."),
    ({"received_on": "tomorrow"}, "received_on", "Esta fecha está en el futuro."),
])
def test_a_delivery_of_no_kit_or_in_the_future_is_refused_in_spanish_and_not_recorded(client, admin_user, cucuta,
                                                                                      changes, field, message):
    User.objects.filter(pk=admin_user.pk).update(language="es")
    client.force_login(admin_user)
    tomorrow = f"{timezone.localdate() + timedelta(days=1):%Y-%m-%d}"
    body = {"centre": cucuta.pk, "quantity": "40", "received_on": f"{timezone.localdate():%Y-%m-%d}", **changes}
    if body["received_on"] == "tomorrow":
        body["received_on"] = tomorrow

    response = client.post("/admin/reception/kitdelivery/add/", body)

    assert response.status_code == 200
    assert errors(response)[field] == [message]
    assert not KitDelivery.objects.exists()


def test_a_delivery_goes_to_a_reception_centre_only_and_is_never_changed(client, admin_user, cucuta, tij):
    client.force_login(admin_user)

    to_a_booth = client.post("/admin/reception/kitdelivery/add/", {
        "centre": tij.pk, "quantity": "5", "received_on": f"{timezone.localdate():%Y-%m-%d}"})
    delivery = KitDelivery.objects.create(centre=cucuta, quantity=5, received_on=timezone.localdate(),
                                          recorded_by=admin_user)
    changed = client.post(f"/admin/reception/kitdelivery/{delivery.pk}/change/", {
        "centre": cucuta.pk, "quantity": "500", "received_on": f"{timezone.localdate():%Y-%m-%d}"})

    assert to_a_booth.status_code == 200 and "centre" in errors(to_a_booth)
    assert changed.status_code in (200, 403)
    assert KitDelivery.objects.get().quantity == 5
