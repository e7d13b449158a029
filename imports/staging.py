"""A batch staged: each household checked by the registration form's own rules, its errors put on their cells,
deduplicated within the batch and against existing cases, and the circuit breaker applied. Nothing touches a case."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.dedup import document_key
from cases.registration import (
    ConsentInput,
    MemberInput,
    RegistrationInput,
    registration_errors,
)
from imports.models import BatchStatus, ImportBatch, ImportRow, RowStatus

STAGE_CHUNK = 200
MEMBER_FIELDS = tuple(MemberInput.__dataclass_fields__)
# The registration rules' keys that are not a column of their own, and the cell they belong on.
HOUSEHOLD_CELL = {"consent": "consent_type", "consent_reason": "consent_reason", "members": "household_id",
                  "programme": "household_id", "office": "household_id"}


@dataclass
class StagedHousehold:
    household_key: str
    sheet_row: int
    member_rows: list[int]
    data: dict
    cell_errors: dict = field(default_factory=dict)
    kobo_uuid: str = ""
    kobo_submission_time: datetime | None = None


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _int(value) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _text(value) -> str:
    return "" if value is None else str(value)


def member_input(body: dict) -> MemberInput:
    values = {name: _text(body.get(name)) for name in MEMBER_FIELDS
              if name not in ("date_of_birth", "estimated_age", "relationship")}
    return MemberInput(**values, relationship=_text(body.get("relationship")),
                       date_of_birth=_date(body.get("date_of_birth")), estimated_age=_int(body.get("estimated_age")))


def registration_of(batch: ImportBatch, data: dict) -> RegistrationInput:
    """The registration body (POST /api/v1/cases/ minus programme and office) as the registration's input."""
    consent = data.get("consent")
    return RegistrationInput(
        programme=batch.programme, office=batch.office, destination_country=_text(data.get("destination_country")),
        consent=ConsentInput(type=_text(consent.get("type")), reason=_text(consent.get("reason")),
                             given_on=_date(consent.get("date"))) if isinstance(consent, dict) else None,
        members=[member_input(m) for m in data.get("members") or [] if isinstance(m, dict)],
        how_heard=_text(data.get("how_heard")), intake_date=_date(data.get("intake_date")),
        caseworker_notes=_text(data.get("caseworker_notes")))


def batch_actor(batch: ImportBatch):
    """Whom the cases are registered as: the uploader, or whoever set up the Kobo source."""
    return batch.uploaded_by or (batch.source.created_by if batch.source_id else None)


def cell_errors_of(staged: StagedHousehold, errors: dict) -> dict:
    """The registration errors put on their cells, after the parse errors (a cell that could not be read says so,
    not also that it is empty)."""
    cells = {"households": {k: list(v) for k, v in (staged.cell_errors.get("households") or {}).items()},
             "members": {int(r): {k: list(v) for k, v in e.items()}
                         for r, e in (staged.cell_errors.get("members") or {}).items()}}
    for key, messages in errors.items():
        if key == "member_fields":
            continue
        column = HOUSEHOLD_CELL.get(key, key)
        if column not in cells["households"]:
            cells["households"].setdefault(column, []).extend(str(m) for m in messages)
    for index, member_errors in errors.get("member_fields", {}).items():
        row = staged.member_rows[index] if index < len(staged.member_rows) else index
        found = cells["members"].setdefault(int(row), {})
        for column, messages in member_errors.items():
            if column not in found:
                found[column] = [str(m) for m in messages]
    cells["members"] = {str(r): e for r, e in cells["members"].items() if e}
    return {part: value for part, value in cells.items() if value}


class _Dedup:
    """Document numbers already seen in this batch: the first row holding one is the original."""

    def __init__(self):
        self.documents: dict[str, tuple[int, str]] = {}

    def within(self, staged: StagedHousehold, registration: RegistrationInput) -> list[dict]:
        found = []
        for member in registration.members:
            key = document_key(member.document_number) if member.document_number.strip() else ""
            if not key:
                continue
            if key in self.documents and self.documents[key][1] != staged.household_key:
                row, household = self.documents[key]
                found.append({"in_batch": True, "sheet_row": row, "household_key": household,
                              "name": f"{member.given_names} {member.family_names}", "reasons": ["document"]})
            else:
                self.documents.setdefault(key, (staged.sheet_row, staged.household_key))
        return found


def existing_candidates(actor, registration: RegistrationInput) -> list[dict]:
    """The registration's own duplicate check, exact documents first, each candidate naming the member index."""
    from cases.selectors import possible_duplicates_for_household

    if not registration.members:
        return []
    found = possible_duplicates_for_household(user=actor, people=registration.members)
    candidates = [{**c, "for_member": i} for i, rows in enumerate(found) for c in rows]
    candidates.sort(key=lambda c: "document" not in c["reasons"])
    return candidates


def row_staged(batch: ImportBatch, staged: StagedHousehold, actor, dedup: _Dedup) -> tuple[ImportRow, bool]:
    """The row of one household and whether it matches an existing case (for the circuit breaker)."""
    row = ImportRow(batch=batch, household_key=staged.household_key[:120], sheet_row=staged.sheet_row,
                    member_rows=list(staged.member_rows), data=staged.data, kobo_uuid=staged.kobo_uuid[:64],
                    kobo_submission_time=staged.kobo_submission_time)
    if staged.kobo_uuid:
        earlier = (ImportRow.objects.filter(kobo_uuid=staged.kobo_uuid, case__isnull=False)
                   .exclude(batch=batch).order_by("-id").first())
        if earlier is not None:
            row.status, row.updates_case_id = RowStatus.UPDATE, earlier.case_id
            row.errors = cell_errors_of(staged, {})
            if row.errors:
                row.status = RowStatus.INVALID
            return row, False
    registration = registration_of(batch, staged.data)
    row.errors = cell_errors_of(staged, registration_errors(registration, actor=actor))
    if row.errors:
        row.status = RowStatus.INVALID
        return row, False
    within = dedup.within(staged, registration)
    existing = existing_candidates(actor, registration)
    row.candidates = json.loads(json.dumps(within + existing, default=str))
    row.status = RowStatus.DUPLICATE if row.candidates else RowStatus.VALID
    return row, bool(existing)


def batch_stage(batch: ImportBatch, households: Iterable[StagedHousehold], *, total: int | None = None) -> ImportBatch:
    """Check, deduplicate and write the rows of a batch (again from scratch if it was staged before), then its
    counts and status; `total` (households expected) only drives the progress."""
    actor = batch_actor(batch)
    ImportRow.objects.filter(batch=batch).delete()
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.PARSING, heartbeat_at=timezone.now())
    dedup, keys, chunk, matched, count = _Dedup(), set(), [], 0, 0
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        for staged in households:
            if staged.household_key in keys:
                staged = _repeated(staged)
            keys.add(staged.household_key)
            row, matches = row_staged(batch, staged, actor, dedup)
            chunk.append(row)
            matched += matches
            count += 1
            if len(chunk) >= STAGE_CHUNK:
                _chunk_write(batch, chunk, count, total)
                chunk = []
        _chunk_write(batch, chunk, count, total)
    return batch_counts_set(batch, matched=matched)


def _repeated(staged: StagedHousehold) -> StagedHousehold:
    """A household id used twice: the second row is kept apart, marked, under a key of its own."""
    errors = dict(staged.cell_errors)
    errors["households"] = {**errors.get("households", {}), "household_id": [
        _("This household ID is used by another row of the households sheet.")]}
    staged.cell_errors = errors
    staged.household_key = f"{staged.household_key} #{staged.sheet_row}"
    return staged


def _chunk_write(batch: ImportBatch, rows: list[ImportRow], count: int, total: int | None) -> None:
    with transaction.atomic():
        ImportRow.objects.bulk_create(rows)
        progress = min(99, int(count * 100 / total)) if total else 50
        ImportBatch.objects.filter(pk=batch.pk).update(progress=progress, heartbeat_at=timezone.now())


def batch_counts_set(batch: ImportBatch, *, matched: int | None = None) -> ImportBatch:
    """Count the rows by status; with `matched` (rows matching existing cases) apply the circuit breaker."""
    rows = ImportRow.objects.filter(batch=batch)
    by_status = dict(rows.order_by().values_list("status").annotate(n=Count("id")))
    batch.rows = sum(by_status.values())
    batch.invalid = by_status.get(RowStatus.INVALID, 0)
    batch.valid = batch.rows - batch.invalid
    batch.new = by_status.get(RowStatus.VALID, 0)
    batch.duplicates = by_status.get(RowStatus.DUPLICATE, 0)
    batch.merged = by_status.get(RowStatus.MERGED, 0)
    fields = ["rows", "valid", "invalid", "new", "duplicates", "merged"]
    if matched is not None:
        share = settings.IMPORT_REUPLOAD_SHARE
        stop = batch.valid and matched > share * batch.valid and batch.reupload_denied_by_id is None
        batch.status = BatchStatus.CONFIRM if stop else BatchStatus.VALIDATED
        batch.progress, batch.heartbeat_at = 100, timezone.now()
        fields += ["status", "progress", "heartbeat_at"]
    batch.save(update_fields=fields)
    return batch
