"""The Spanish pages use the words the users use: "Desde / Hasta" for a date range, "Abiertas / Vencidas / Todas"
for the referral filter, and adjectives that agree with their noun."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db


def in_spanish(client, user):
    User.objects.filter(pk=user.pk).update(language="es")
    client.force_login(user)
    return client


def labels(page: str, *ids: str) -> list[str]:
    return [re.search(rf'<label[^>]*for="{i}"[^>]*>\s*([^<]+?)\s*<', page).group(1) for i in ids]


def test_the_referral_filter_reads_abiertas_vencidas_todas(client, reception):
    page = in_spanish(client, reception).get(reverse("referral_list")).content.decode()

    shown = re.findall(r'href="[^"]*\?show=(\w+)">([^<]+)</a>', page)

    assert shown == [("open", "Abiertas"), ("overdue", "Vencidas"), ("all", "Todas")]


def test_date_ranges_read_desde_hasta(client, supervisor, caravan):
    report_form = in_spanish(client, supervisor).get(reverse("report_new")).content.decode()
    case_list = client.get(reverse("case_list")).content.decode()

    assert labels(report_form, "id_period_start", "id_period_end") == ["Desde", "Hasta"]
    assert labels(case_list, "f-from", "f-to") == ["Registrados desde", "hasta"]


def test_the_case_list_filters_agree_with_their_noun(client, supervisor):
    page = in_spanish(client, supervisor).get(reverse("case_list")).content.decode()

    first = {name: re.search(rf'id="{name}"[^>]*>\s*<option value="">([^<]+)<', page).group(1)
             for name in ("f-status", "f-office", "f-programme", "f-nationality")}

    assert first == {"f-status": "Todos", "f-office": "Todas", "f-programme": "Todos", "f-nationality": "Todas"}


def test_an_escort_and_a_decision_agree_in_gender():
    from travel.choices import EscortKind

    with translation.override("es"):
        assert str(EscortKind("operational").label) == "Escolta operativa"
        assert str(EscortKind("medical").label) == "Escolta médica"
        assert translation.gettext("decided on") == "decidida el"
