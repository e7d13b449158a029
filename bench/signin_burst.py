"""A burst of bad sign-ins against a running server, timing another user's page meanwhile.

    python -m bench.signin_burst http://127.0.0.1:8000 <username> <password> [attempts]

Signs in as the given user (their page is the one timed), then fires `attempts` (default 16) bad sign-ins at once
from this address, with unknown usernames so that no lockout is reached, and prints the page's time alone and during
the burst, how long the burst took and how many attempts were refused (429) or checked (200).
"""

import re
import sys
import threading
import time

import requests


def signed_in_cookies(base_url: str, username: str, password: str) -> dict:
    browser = requests.Session()
    form = browser.get(f"{base_url}/accounts/login/", timeout=60).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    answer = browser.post(f"{base_url}/accounts/login/", allow_redirects=False, timeout=60, data={
        "csrfmiddlewaretoken": token, "username": username, "password": password})
    assert answer.status_code == 302, f"could not sign in as {username}: {answer.status_code}"
    return browser.cookies.get_dict()


def burst_while_a_page_loads(base_url: str, cookies: dict, attempts: int = 16) -> dict:
    """Fire `attempts` bad sign-ins at once and time the signed-in user's home page meanwhile (seconds)."""

    def page_seconds() -> float:
        started = time.monotonic()
        page = requests.get(f"{base_url}/", cookies=cookies, allow_redirects=False, timeout=120)
        assert page.status_code == 200, page.status_code
        return time.monotonic() - started

    def bad_login(index: int) -> None:
        browser = requests.Session()
        form = browser.get(f"{base_url}/accounts/login/", timeout=120).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        barrier.wait()
        answers.append(browser.post(f"{base_url}/accounts/login/", timeout=120, data={
            "csrfmiddlewaretoken": token, "username": f"nobody{index:02d}", "password": "Verano2018!"}).status_code)

    alone = min(page_seconds() for _ in range(3))
    answers: list[int] = []
    barrier = threading.Barrier(attempts + 1)
    threads = [threading.Thread(target=bad_login, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    time.sleep(0.05)  # the sign-ins reach the server first
    during = page_seconds()
    for thread in threads:
        thread.join()
    return {"page_alone": round(alone, 3), "page_during": round(during, 3),
            "burst_done": round(time.monotonic() - started, 3),
            "refused": answers.count(429), "checked": answers.count(200)}


if __name__ == "__main__":
    url, user, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    print(burst_while_a_page_loads(url, signed_in_cookies(url, user, password), count))
