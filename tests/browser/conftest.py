"""A real Chromium (Playwright, sync API) against pytest-django's live server, with the demo data loaded."""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an event loop in the test thread; Django would refuse ORM calls there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync"]
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD") or "avr-demo-2018"  # as seed_demo reads it


def _unavailable(reason: str):
    """Browser tests must never be skipped in CI: there a missing browser is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so browser tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def demo(live_server):
    """The demo offices, users and households of `seed_demo`, in the live server's (transactional) database."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    return live_server


@pytest.fixture
def page(browser, demo, request):
    """A fresh browser profile per test (Spanish-speaking, like the booths); a screenshot when the test fails."""
    context = browser.new_context(locale="es-MX", base_url=demo.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    server_errors = []
    page.on("response", lambda r: server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        artifacts = Path(request.config.rootpath) / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    context.close()
    assert not server_errors, f"the server answered with an error: {server_errors}"


def sign_in(page, username: str, password: str = DEMO_PASSWORD):
    """Open the login page, fill and send the form, and the authenticator's code when asked (the demo supervisor and
    admin have one); returns the response to the password's POST."""
    page.goto("/accounts/login/")
    form = page.locator("form:has(input[name=username])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_response(lambda r: r.url.endswith("/accounts/login/") and r.request.method == "POST") as posted:
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    if page.url.endswith("/accounts/login/code/"):
        enter_code(page, username)
    return posted.value


def enter_code(page, username: str):
    """Type the user's current code as their authenticator app would show it."""
    from accounts.models import User
    from tests.mfa_steps import current_code

    page.get_by_test_id("code-form").locator("input[name=code]").fill(current_code(User.objects.get(username=username)))
    page.get_by_test_id("code-form").locator("button[type=submit]").click()
    page.wait_for_load_state()


def sign_out(page):
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    page.wait_for_url("**/accounts/login/")
