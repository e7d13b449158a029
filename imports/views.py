"""Pages of bulk import: the batches, the upload, a batch with its progress, errors, duplicates and the second
person's decision. The rules live in imports.services; these pages only call them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.choices import Country, Role
from accounts.models import Office, Programme
from audit.models import AuditAction
from audit.services import audit_record
from cases.forms import caseworker_offices
from cases.permissions import user_assignments
from cases.views_register import MATCH_REASONS
from imports import services
from imports.columns import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS
from imports.file_api import errors_download, may_download_template, template_download
from imports.models import BatchStatus, ImportRow, RowStatus
from imports.services import BatchIdentical, BatchNotReady, SameUploader

LISTED = 100
ROWS_SHOWN = 200
WORKING = (BatchStatus.QUEUED, BatchStatus.PARSING, BatchStatus.MERGING)


def import_roles(user) -> set[str]:
    """Caseworkers and supervisors use these pages; to anyone else they do not exist (404)."""
    roles = {a.role for a in user_assignments(user)} & {Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN}
    if not roles:
        raise Http404
    return roles


class UploadForm(forms.Form):
    programme = forms.ModelChoiceField(label=gettext_lazy("Programme"), queryset=Programme.objects.none(),
                                       required=False, empty_label="—",
                                       widget=forms.Select(attrs={"class": "form-select"}))
    office = forms.ModelChoiceField(label=gettext_lazy("Registering office"), queryset=Office.objects.none(),
                                    required=False, empty_label="—",
                                    widget=forms.Select(attrs={"class": "form-select"}))
    file = forms.FileField(label=gettext_lazy("File (XLSX)"), required=False,
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}))

    def __init__(self, *args, user, **kwargs):
        offices = caseworker_offices(user)
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.order_by("code")
        self.fields["office"].queryset = Office.objects.filter(pk__in=[o.pk for o in offices]).order_by("code")
        if len(offices) == 1:
            self.fields["office"].initial = offices[0]


@login_required
def import_list(request):
    """The batches the user may see, newest first."""
    roles = import_roles(request.user)
    batches = (services.batches_visible_to(request.user).select_related("programme", "office", "uploaded_by")
               .order_by("-uploaded_at", "-pk")[:LISTED])
    return render(request, "imports/import_list.html", {"batches": batches,
                                                        "may_upload": Role.CASEWORKER in roles})


@never_cache
@login_required
def import_upload(request):
    """Upload a file for a programme at the user's booth; the same file again points at the earlier batch."""
    import_roles(request.user)
    if not caseworker_offices(request.user):
        raise Http404
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None, user=request.user)
    earlier = None
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            batch = services.batch_upload(actor=request.user, programme=data["programme"], office=data["office"],
                                          file=data["file"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except BatchIdentical as identical:
            form.add_error("file", identical.message)
            if services.batches_visible_to(request.user).filter(pk=identical.earlier.pk).exists():
                earlier = identical.earlier
        else:
            messages.success(request, _("The file was received: it is being read and checked."))
            return redirect("import_detail", pk=batch.pk)
    programmes = [p for p in Programme.objects.order_by("code") if may_download_template(request.user, p)]
    return render(request, "imports/import_upload.html", {"form": form, "earlier": earlier,
                                                          "programmes": programmes})


@login_required
def import_template(request):
    """The programme's empty template, in the language of the page."""
    import_roles(request.user)
    try:
        return template_download(user=request.user, programme_code=request.GET.get("programme", ""),
                                 language=translation.get_language())
    except ValidationError:
        raise Http404 from None


def row_messages(row: ImportRow) -> list[str]:
    """The row's errors as lines a person reads: where, then what."""
    labels = {c.key: str(c.label) for c in HOUSEHOLD_COLUMNS}
    member_labels = {c.key: str(c.label) for c in MEMBER_COLUMNS}
    lines = []
    for key, found in (row.errors.get("households") or {}).items():
        lines += [f"{labels[key]}: {m}" if key in labels else str(m) for m in found]
    for sheet_row, columns in sorted((row.errors.get("members") or {}).items(), key=lambda item: int(item[0])):
        for key, found in columns.items():
            where = _("Members, row %(row)s") % {"row": sheet_row}
            lines += [f"{where} · {member_labels.get(key, key)}: {m}" for m in found]
    return lines


def duplicate_pairs(row: ImportRow) -> list[dict]:
    """Each likely duplicate beside the imported person it matches."""
    people = row.data.get("members") or []
    pairs = []
    for candidate in row.candidates:
        index = candidate.get("for_member")
        if candidate.get("in_batch"):  # found by its document within the file: the name is this row's person
            index = next((i for i, p in enumerate(people)
                          if f"{p.get('given_names')} {p.get('family_names')}" == candidate.get("name")), None)
        person = people[index] if isinstance(index, int) and index < len(people) else None
        if person and person.get("nationality") in Country.values:
            person = {**person, "nationality": Country(person["nationality"]).label}
        pairs.append({"person": person, "candidate": {
            **candidate, "reason_labels": [MATCH_REASONS.get(r, r) for r in candidate.get("reasons", [])]}})
    return pairs


def batch_context(request, batch) -> dict:
    user = request.user
    rows = batch.household_rows.order_by("sheet_row")
    invalid = [{"row": row, "messages": row_messages(row)} for row in rows.filter(status=RowStatus.INVALID)[:ROWS_SHOWN]]
    duplicates = [{"row": row, "pairs": duplicate_pairs(row)}
                  for row in rows.filter(status=RowStatus.DUPLICATE)[:ROWS_SHOWN]]
    supervisor = services.may_approve(user, batch)
    uploader = batch.uploaded_by_id == user.pk
    return {
        "batch": batch, "in_progress": batch.status in WORKING, "invalid_rows": invalid, "duplicates": duplicates,
        "may_decide": batch.status not in (BatchStatus.REFUSED, BatchStatus.FAILED, BatchStatus.MERGED)
        and (supervisor or Role.CASEWORKER in import_roles(user)),
        "may_approve": supervisor and not uploader and not batch.approved_by_id, "uploader": uploader,
        "supervisor": supervisor,
        "may_answer_reupload": supervisor or uploader, "same_uploader": SameUploader().message,
        "has_errors": batch.invalid > 0 and bool(batch.file),
        "counts": [("rows", _("Households"), batch.rows), ("valid", _("Valid"), batch.valid),
                   ("invalid", _("To correct"), batch.invalid), ("new", _("New"), batch.new),
                   ("duplicates", _("Possible duplicates"), batch.duplicates),
                   ("merged", _("Merged"), batch.merged)],
    }


@never_cache
@login_required
def import_detail(request, pk: int):
    """A batch: progress (followed by itself while it works), counts, errors, duplicates, the decision."""
    import_roles(request.user)
    batch = services.batch_for_user(user=request.user, batch_id=pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, request=request, obj=batch, reason="import_page")
    return render(request, "imports/import_detail.html", batch_context(request, batch))


@never_cache
@login_required
def import_progress(request, pk: int):
    """The batch's block alone, for htmx to swap in while it is being read or merged."""
    import_roles(request.user)
    batch = services.batch_for_user(user=request.user, batch_id=pk)
    return render(request, "imports/_batch.html", batch_context(request, batch))


@login_required
def import_errors_file(request, pk: int):
    """The uploaded file back with its errors marked (audited as an export)."""
    import_roles(request.user)
    batch = services.batch_for_user(user=request.user, batch_id=pk)
    return errors_download(request=request, batch=batch)


def run_step(request, pk: int, step, done: str):
    """Call a service of the batch; a refusal becomes a message on the batch page."""
    try:
        step()
    except SameUploader as refusal:
        messages.error(request, refusal.message)
    except BatchNotReady as refusal:
        messages.error(request, refusal.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("You cannot do this for this import."))
    else:
        messages.success(request, done)
    return redirect("import_detail", pk=pk)


@require_POST
@login_required
def import_approve(request, pk: int):
    import_roles(request.user)
    services.batch_for_user(user=request.user, batch_id=pk)
    return run_step(request, pk, lambda: services.batch_approve(actor=request.user, batch_id=pk),
                    _("Approved: the valid households are being merged into cases."))


@require_POST
@login_required
def import_refuse(request, pk: int):
    import_roles(request.user)
    services.batch_for_user(user=request.user, batch_id=pk)
    reason = request.POST.get("reason", "")
    return run_step(request, pk, lambda: services.batch_refuse(actor=request.user, batch_id=pk, reason=reason),
                    _("Refused: nothing was imported and the file was deleted."))


@require_POST
@login_required
def import_continue(request, pk: int):
    """The circuit breaker's answer "this is not a re-upload"."""
    import_roles(request.user)
    services.batch_for_user(user=request.user, batch_id=pk)
    return run_step(request, pk, lambda: services.batch_reupload_deny(actor=request.user, batch_id=pk),
                    _("Noted: the import goes on to approval."))


@require_POST
@login_required
def import_row_decide(request, pk: int, row_id: int):
    """A likely duplicate: import it as a new case, or skip it."""
    import_roles(request.user)
    batch = services.batch_for_user(user=request.user, batch_id=pk)
    if not batch.household_rows.filter(pk=row_id).exists():
        raise Http404
    decision = request.POST.get("decision", "")
    done = _("Marked as a new case.") if decision == "new" else _("Skipped: it will not be imported.")
    return run_step(request, pk, lambda: services.row_duplicate_decide(actor=request.user, row_id=row_id,
                                                                       decision=decision), done)
