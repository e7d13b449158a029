"""Pulling a programme's KoboToolbox form through the v2 data API into a staged batch.

`GET {server}/api/v2/assets/{uid}/data/?format=json` pages 1,000 submissions at a time (`next` until null). Only
submissions newer than the last one seen are asked for, plus the edited ones: an edit keeps its `_submission_time`
(Kobo never moves it), gets a new `_uuid`, and carries `meta/rootUuid` (constant across edits, newer servers) or
`meta/deprecatedID` (the instance it replaces). Each submission becomes a StagedHousehold whose `kobo_uuid` is the
submission's root, so an amended one is recognised as the case already imported (batch_stage makes it an update of
that case), and whose `household_key` is its own `_uuid`, so a version already staged is never staged again.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from imports.models import BatchKind, ImportBatch, ImportRow, ImportSource
from imports.secrets import TokenUnreadable, token_open

log = logging.getLogger(__name__)

PAGE_SIZE = 1000  # the data API's own maximum per page
TIMEOUT = (10, 30)  # seconds to connect, to read each page
HOUSEHOLD_FIELDS = ("destination_country", "intake_date", "how_heard", "caseworker_notes")
CONSENT_FIELDS = {"consent_type": "type", "consent_reason": "reason", "consent_date": "date"}
MEMBER_FIELDS = ("relationship", "given_names", "family_names", "sex", "date_of_birth", "estimated_age",
                 "nationality", "document_type", "document_number", "document_issuing_country", "phone",
                 "country_of_residence", "languages", "place_of_origin", "intended_destination")


class PullRefused(Exception):
    """The pull could not be made; the message says why, in the reader's words."""


# Reading the server


def data_url(source: ImportSource) -> str:
    return f"{source.server_url.rstrip('/')}/api/v2/assets/{source.asset_uid}/data/"


def submissions_query(source: ImportSource) -> dict | None:
    """New submissions since the last one seen, and every edited one (an edit keeps its old submission time)."""
    if source.last_submission_time is None:
        return None
    last = source.last_submission_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return {"$or": [{"_submission_time": {"$gt": last}}, {"meta/deprecatedID": {"$exists": True}}]}


def submissions_fetch(source: ImportSource, *, limit: int, seen: frozenset | dict = frozenset()) -> list[dict]:
    """Every page of the answer, up to `limit` submissions not `seen` before (edits already staged come back each
    time and must not crowd out new ones), oldest first; PullRefused when the server says no."""
    try:
        token = token_open(source.token_sealed)
    except TokenUnreadable:
        raise PullRefused(_("The API token can no longer be read (the secret key changed): set it again.")) from None
    params = {"format": "json", "limit": PAGE_SIZE, "sort": json.dumps({"_submission_time": 1})}
    query = submissions_query(source)
    if query is not None:
        params["query"] = json.dumps(query)
    url, origin, found = data_url(source), urlsplit(data_url(source))[:2], []
    with requests.Session() as session:
        session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
        while url and len(found) < limit:
            if urlsplit(url)[:2] != origin:  # the token goes to the server it was set for, nowhere else
                raise PullRefused(_("KoboToolbox pointed the next page to another server; the pull stopped."))
            page = page_get(session, url, params, source)
            found += [r for r in page.get("results") or [] if bare_uuid(r.get("_uuid")) not in seen]
            url, params = page.get("next"), None  # `next` carries every parameter itself
    return found[:limit]


def page_get(session, url: str, params: dict | None, source: ImportSource) -> dict:
    server = source.server_url
    try:
        response = session.get(url, params=params, timeout=TIMEOUT, allow_redirects=False)
    except requests.Timeout:
        raise PullRefused(_("KoboToolbox at %(server)s did not answer in time; the pull will be tried again "
                            "tonight.") % {"server": server}) from None
    except requests.RequestException:
        raise PullRefused(_("KoboToolbox at %(server)s could not be reached; the pull will be tried again "
                            "tonight.") % {"server": server}) from None
    if response.status_code in (401, 403):
        raise PullRefused(_("KoboToolbox refused the API token (HTTP %(status)s): check it and set it again.")
                          % {"status": response.status_code})
    if response.status_code == 404:
        raise PullRefused(_("KoboToolbox has no form “%(uid)s” that this token can read.")
                          % {"uid": source.asset_uid})
    if response.status_code != 200:
        raise PullRefused(_("KoboToolbox answered HTTP %(status)s; the pull will be tried again tonight.")
                          % {"status": response.status_code})
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, dict) or not isinstance(page.get("results", []), list):
        raise PullRefused(_("KoboToolbox's answer was not the data API's list of submissions."))
    return page


# One submission as a staged household


def last_segment(name: str) -> str:
    """`household/destination_country` -> `destination_country`: the form's groups do not matter."""
    return name.rsplit("/", 1)[-1]


def bare_uuid(value) -> str:
    return str(value or "").strip().removeprefix("uuid:")


def flat(record: dict) -> dict:
    return {last_segment(key): value for key, value in record.items()}


def text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def member_body(record: dict, row: int, errors: dict) -> dict:
    fields = flat(record)
    member = {}
    for name in MEMBER_FIELDS:
        value = text(fields.get(name))
        if not value:
            continue
        if name == "estimated_age":
            try:
                member[name] = int(float(value))
            except ValueError:
                errors.setdefault(row, {})[name] = [_("“%(value)s” is not a whole number.") % {"value": value}]
                continue
        else:
            member[name] = value
    return member


def submission_staged(record: dict, *, root: str):
    """The registration body of one submission, as the import columns name its fields."""
    from imports.staging import StagedHousehold

    fields = flat(record)
    data = {name: text(fields.get(name)) for name in HOUSEHOLD_FIELDS if text(fields.get(name))}
    consent = {key: text(fields.get(name)) for name, key in CONSENT_FIELDS.items() if text(fields.get(name))}
    data["consent"] = consent
    member_errors: dict = {}
    people = record.get("members") or next((v for k, v in record.items() if last_segment(k) == "members"), [])
    people = people if isinstance(people, list) else []
    data["members"] = [member_body(p, n, member_errors) for n, p in enumerate(people, 1) if isinstance(p, dict)]
    errors = {"households": {}, "members": member_errors} if member_errors else {}
    return StagedHousehold(
        household_key=bare_uuid(record.get("_uuid")) or str(record.get("_id")),
        sheet_row=int(record.get("_id") or 0), member_rows=list(range(1, len(data["members"]) + 1)), data=data,
        cell_errors=errors, kobo_uuid=root, kobo_submission_time=submission_time(record))


def submission_time(record: dict) -> datetime | None:
    moment = parse_datetime(str(record.get("_submission_time") or ""))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)  # Kobo writes UTC without an offset
    return moment


def submission_root(record: dict, seen: dict) -> str:
    """The submission's identity across edits: its rootUuid, else the root of the version it replaces, else itself."""
    fields = flat(record)
    root = bare_uuid(fields.get("rootUuid"))
    if root:
        return root
    replaced = bare_uuid(fields.get("deprecatedID"))
    if replaced:
        return seen.get(replaced, replaced)
    return bare_uuid(record.get("_uuid")) or bare_uuid(fields.get("instanceID"))


def versions_seen(source: ImportSource) -> dict:
    """{submission _uuid: its root} for every version this source ever staged."""
    return dict(ImportRow.objects.filter(batch__source=source).values_list("household_key", "kobo_uuid"))


def pull_digest(records: list[dict]) -> str:
    lines = sorted(f"{bare_uuid(r.get('_uuid'))} {r.get('_submission_time')}" for r in records)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# The pull


def kobo_pull(source: ImportSource) -> ImportBatch | None:
    """Pull the source's new and edited submissions into a staged batch; None (and last_error) when there is
    nothing new or the server refused. No case is touched here: the batch waits for its approval."""
    from imports.staging import batch_stage

    limit = getattr(settings, "IMPORT_MAX_HOUSEHOLDS", 20000)
    seen = versions_seen(source)
    try:
        fresh = submissions_fetch(source, limit=limit, seen=seen)
    except PullRefused as refused:
        source_note(source, error=str(refused))
        return None
    if not fresh:
        source_note(source)
        return None
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                kind=BatchKind.KOBO, programme=source.programme, office=source.office, source=source,
                uploaded_by=source.created_by, file_name=f"KoboToolbox {source.asset_uid}",
                file_digest=pull_digest(fresh))
    except IntegrityError:
        source_note(source, error=_("These submissions were already pulled in an earlier batch."))
        return None
    households = (submission_staged(r, root=submission_root(r, seen)) for r in fresh)
    batch = batch_stage(batch, households)
    times = [t for t in (submission_time(r) for r in fresh) if t is not None]
    newest = max(times + ([source.last_submission_time] if source.last_submission_time else []), default=None)
    source_note(source, newest=newest)
    log.info("kobo pull %s: %s submissions staged in batch %s", source.pk, len(fresh), batch.pk)
    return batch


def source_note(source: ImportSource, *, error: str = "", newest: datetime | None = None) -> None:
    source.last_pulled_at = timezone.now()
    source.last_error = error[:300]
    fields = ["last_pulled_at", "last_error"]
    if newest is not None:
        source.last_submission_time = newest
        fields.append("last_submission_time")
    source.save(update_fields=fields)


def kobo_pull_all_sources() -> int:
    """Every active source pulled, one after the other; a failure is noted on its source and the next goes on."""
    staged = 0
    for source in ImportSource.objects.filter(is_active=True).select_related("programme", "office", "created_by"):
        try:
            staged += kobo_pull(source) is not None
        except Exception:  # one broken source must not stop the others' nightly pull
            log.exception("kobo pull of source %s failed", source.pk)
            source_note(source, error=_("The pull failed unexpectedly; see the worker's log."))
    return staged
