"""The OpenAPI document holds for every operation: schemathesis drives the app as a caseworker and as a supervisor.

Bounded for CI: a few examples per operation (some on the demo data's real records, the others on generated ids), no
shrinking, and every failure of every operation collected into one report instead of stopping at the first.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.mfa import mfa_device
from avr.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_ON_KNOWN_RECORDS = 10
EXAMPLES_ON_GENERATED_IDS = 5
DEMO_PASSWORD = "avr-demo-2018"
BOUNDS = {"deadline": timedelta(seconds=20), "database": None, "phases": [Phase.explicit, Phase.generate],
          "derandomize": True, "suppress_health_check": list(HealthCheck)}


def token_for(username: str) -> str:
    """A token as a client gets it: with the current code of the demo authenticator when the user has one."""
    from accounts.models import User
    from tests.mfa_steps import current_code

    user = User.objects.get(username=username)
    otp = {"otp": current_code(user)} if mfa_device(user) is not None else {}
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD, **otp},
                                format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def known_records(headers: dict) -> dict:
    """Real ids the caller may see, found through the API itself: {first path segment: {path parameter: value}}."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=headers["Authorization"])
    cases = client.get("/api/v1/cases/").json()["results"]
    case = client.get(f"/api/v1/cases/{cases[0]['id']}/").json()
    member = case["members"][0]["id"]
    records = {"cases": {"id": case["id"], "member_id": member}, "members": {"id": member},
               "offices": {"code": "TIJ"}, "programmes": {"code": "CARAVAN-2018"}}
    movements = client.get("/api/v1/movements/").json()
    if movements:
        records["movements"] = {"id": movements[0]["id"], "case_id": case["id"]}
    declarations = client.get(f"/api/v1/members/{member}/declarations/").json()
    if declarations:
        records["declarations"] = {"id": declarations[0]["id"]}
    consents = client.get(f"/api/v1/members/{member}/consents/").json()
    if consents:
        records["consents"] = {"id": consents[0]["id"]}
    return records


def path_parameters_for(operation, records: dict) -> dict | None:
    names = {p.name for p in operation.path_parameters}
    if not names:
        return None
    segment = operation.path.split("/")[3]
    known = records.get(segment, {})
    if not names <= known.keys():
        return None
    return {name: known[name] for name in names}


def run_operation(operation, headers: dict, failures: list, answered: dict, *, path_parameters=None,
                  examples: int) -> None:
    strategy = operation.as_strategy(path_parameters=path_parameters) if path_parameters else operation.as_strategy()

    @settings(max_examples=examples, **BOUNDS)
    @given(case=strategy)
    def check(case):
        try:
            response = case.call(headers=headers)
            answered.setdefault(operation.label, []).append(response.status_code)
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis' failures; all reported at the end
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])

    check()


@contextmanager
def connection_kept_across_requests():
    """The WSGI handler closes the database connection around each request, which would end the test's transaction.
    Django's test client does the same, and connects the signals again after each of its own requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("username", ["caseworker_tij", "supervisor_mx"])
def test_every_operation_answers_as_the_schema_says_and_never_with_a_server_error(db, username):
    call_command("seed_demo", verbosity=0)
    headers = {"Authorization": f"Token {token_for(username)}"}
    records = known_records(headers)
    failures: list[str] = []
    answered: dict[str, list[int]] = {}

    with connection_kept_across_requests():
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application,
                                                headers={"Accept": "application/vnd.oai.openapi+json"})
        operations = [result.ok() for result in schema.get_all_operations()]
        # Revoking all the caller's tokens signs the caller out: last, so every other operation runs signed in.
        operations.sort(key=lambda operation: operation.label == "DELETE /api/v1/auth/tokens/")
        for operation in operations:
            known = path_parameters_for(operation, records)
            if known:
                run_operation(operation, headers, failures, answered, path_parameters=known,
                              examples=EXAMPLES_ON_KNOWN_RECORDS)
            run_operation(operation, headers, failures, answered, examples=EXAMPLES_ON_GENERATED_IDS)

    seen = "\n".join(f"{label}: {sorted(set(codes))}" for label, codes in answered.items())
    statuses = [code for codes in answered.values() for code in codes]
    print(f"\nschemathesis as {username}: {len(operations)} operations, {len(statuses)} requests, "
          f"{sum(code >= 500 for code in statuses)} server errors, {len(failures)} failures")
    assert len(operations) > 50
    assert not failures, "\n\n".join(dict.fromkeys(failures)) + "\n\nStatuses seen:\n" + seen
