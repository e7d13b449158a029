"""Every hostile request is a clean 4xx: control characters, oversized bodies, deep JSON, huge households,
reused Idempotency-Keys, OPTIONS anywhere, 404 for what one may not see, double bookings."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import Case, CaseEvent, Member
from tests.conftest import api_as
from tests.reception_steps import child_alone, departed
from tests.travel_steps import convoy

pytestmark = pytest.mark.django_db


def api_routes() -> list[str]:
    """Every route of the API as a template ("api/v1/cases/<int:pk>/"), from the URLconf itself."""
    routes = []

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                routes.append(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "")
    return [route for route in routes if route.startswith("api/v1/")]


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def concrete(route: str, ids: dict) -> str:
    """The route with the ids of real objects: the name before a parameter says which kind of object it is."""
    def substitute(match):
        before = route[:match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(ids[match.group(1) if match.group(1) != "pk" else before])
    return "/" + PARAMETER.sub(substitute, route)


@pytest.fixture
def world(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    """A lone girl (best-interests decision, declaration, consents) who travelled to San Pedro Sula."""
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    from tests.travel_steps import documents_ready
    from travel import services as travel_services
    documents_ready(girl, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [girl])
    member = girl.members.get()
    from screening.models import Declaration
    from cases.models import Consent
    declaration = Declaration.objects.filter(member__case=girl).first()
    consent = Consent.objects.filter(case=girl).first()
    return {"cases": girl.pk, "members": member.pk, "member_id": member.pk, "case_id": girl.pk,
            "movements": bus.pk, "declarations": declaration.pk if declaration else 1,
            "consents": consent.pk if consent else 1, "referrals": 1, "reports": 1,
            "code": "TIJ" , "offices": "TIJ", "programmes": "CARAVAN-2018"}


def test_options_answers_without_a_server_error_on_every_api_route_for_two_roles(world, caseworker, reception):
    failures = []
    clients = {user.username: api_as(user) for user in (caseworker, reception)}
    for client in clients.values():
        client.raise_request_exception = False
    for route in api_routes():
        url = concrete(route, world)
        for username, client in clients.items():
            response = client.options(url, HTTP_ACCEPT_LANGUAGE="es")
            if response.status_code >= 500:
                failures.append((url, username, response.status_code))
    assert failures == []
