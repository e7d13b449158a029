"""Asking for a report, making it in the background, and handing it out."""

import json
import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Programme
from audit.models import AuditAction
from audit.services import audit_record
from cases.permissions import user_assignments
from outbox.services import outbox_enqueue
from reports.choices import ReportFormat, ReportKind, ReportStatus
from reports.data import donor_report_data, report_json
from reports.models import Report

logger = logging.getLogger(__name__)


def report_programmes(user) -> list | None:
    """The programmes the user may report on: None means all (admins); [] means none."""
    roles = {a.role for a in user_assignments(user)}
    if Role.ADMIN in roles:
        return None
    return sorted({a.programme_id for a in user_assignments(user) if a.role == Role.SUPERVISOR and a.programme_id})


def may_request(user, programme) -> bool:
    allowed = report_programmes(user)
    if allowed is None:
        return True
    return programme is not None and programme.pk in allowed


def report_errors(*, programme_code, period_start, period_end, fmt) -> tuple[dict, Programme | None]:
    errors, programme = {}, None
    if programme_code:
        programme = Programme.objects.filter(code=programme_code).first()
        if programme is None:
            errors["programme"] = [_("No programme has the code “%(value)s”.") % {"value": programme_code}]
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    if period_start and period_start > timezone.localdate():
        errors["period_start"] = [_("The period starts in the future.")]
    if fmt not in ReportFormat.values:
        errors["format"] = [_("Choose PDF, XLSX, CSV or JSON.")]
    return errors, programme


@transaction.atomic
def report_request(*, actor, programme_code: str | None, period_start, period_end, fmt: str,
                   language: str | None = None) -> Report:
    """Queue the donor report; asking again for the same one replaces it (never a second copy)."""
    errors, programme = report_errors(programme_code=programme_code, period_start=period_start,
                                      period_end=period_end, fmt=fmt)
    if errors:
        raise ValidationError(errors)
    if not may_request(actor, programme):
        raise Http404
    report, _created = Report.objects.select_for_update().get_or_create(
        requested_by=actor, kind=ReportKind.DONOR, programme=programme, period_start=period_start,
        period_end=period_end, format=fmt, language=language or translation.get_language() or "es")
    if report.file:
        report.file.delete(save=False)
    report.status, report.progress, report.error, report.finished_at = ReportStatus.QUEUED, 0, "", None
    report.save()
    report_build_enqueue(report.pk)
    return report


def report_build_enqueue(report_id: int) -> None:
    """Build the report once this transaction commits; a build already waiting or running stands for this one."""
    outbox_enqueue("reports.tasks.report_build", report_id, key=f"report:{report_id}")


def reports_orphaned_requeue(*, now=None) -> list[int]:
    """Queue again any report left queued or running with no outbox message to build it (asked for again in the
    instant its last build finished); the ids queued."""
    from outbox.models import OutboxMessage

    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS)
    waiting = Report.objects.filter(status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING], requested_at__lt=settled)
    ids = []
    for report_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            if not OutboxMessage.objects.filter(key=f"report:{report_id}", done_at__isnull=True,
                                                failed_at__isnull=True).exists():
                report_build_enqueue(report_id)
                ids.append(report_id)
    return ids


def report_progress(report_id: int, share: float) -> None:
    Report.objects.filter(pk=report_id).update(progress=min(99, int(share * 90)))


def report_build(report_id: int) -> Report | None:
    """Compute and render the report; a task delivered again finds it ready and only makes sure it was announced
    (the announcement is keyed: a second one writes and sends nothing)."""
    report = Report.objects.filter(pk=report_id).select_related("programme").first()
    if report is None:
        return None
    if report.status == ReportStatus.READY:
        report_ready_announce(report)
        return report
    Report.objects.filter(pk=report_id).update(status=ReportStatus.RUNNING, progress=1)
    try:
        with translation.override(report.language):
            data = donor_report_data(programme=report.programme, period_start=report.period_start,
                                     period_end=report.period_end, generated_at=timezone.now(),
                                     progress=lambda share: report_progress(report_id, share))
            content, extension = report_render(data, report.format)
    except Exception:
        logger.exception("report %s failed", report_id)
        Report.objects.filter(pk=report_id).update(status=ReportStatus.FAILED, error=_("The report could not be "
                                                                                       "made; ask again."))
        raise
    report.file.save(report_filename(report, extension), ContentFile(content), save=False)
    report.status, report.progress, report.finished_at = ReportStatus.READY, 100, timezone.now()
    report.save(update_fields=["file", "status", "progress", "finished_at"])
    report_ready_announce(report)
    return report


def report_ready_announce(report: Report) -> None:
    """Tell the requester (or, for a monthly report, the programme's admins and supervisors) it is ready."""
    from notifications.services import notification_emails_send, report_ready_notifications_create

    notification_emails_send(notification_ids=report_ready_notifications_create(report_id=report.pk))


def report_render(data, fmt: str) -> tuple[bytes, str]:
    if fmt == ReportFormat.JSON:
        return json.dumps(report_json(data), ensure_ascii=False, indent=1, default=str).encode(), "json"
    from reports import formats

    return formats.render(data, fmt)


def report_filename(report: Report, extension: str) -> str:
    scope = report.programme.code if report.programme else "all"
    return f"donor-report-{scope}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.{extension}"


def report_for_user(*, user, report_id) -> Report:
    """The requester and admins may see a report; anyone else gets 404."""
    report = Report.objects.filter(pk=report_id).select_related("programme").first()
    if report is None:
        raise Http404
    is_admin = Role.ADMIN in {a.role for a in user_assignments(user)}
    if not (is_admin or report.requested_by_id == user.pk):
        raise Http404
    return report


def report_download(*, user, report_id, request=None) -> Report:
    report = report_for_user(user=user, report_id=report_id)
    if report.status != ReportStatus.READY or not report.file:
        raise Http404
    audit_record(actor=user, action=AuditAction.DOWNLOAD, request=request, obj=report)
    return report


def monthly_period(today: date) -> tuple[date, date]:
    """The calendar month before the one `today` is in."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@transaction.atomic
def monthly_reports_request(*, today: date | None = None, fmt: str = ReportFormat.PDF) -> list[Report]:
    """Queue last month's donor report of every programme that ran in it, requested by nobody.

    Beat firing twice (or the task delivered twice) queues nothing more: the row is unique per request, and only a
    new or failed one is (re)built.
    """
    period_start, period_end = monthly_period(today or timezone.localdate())
    programmes = (Programme.objects.filter(start_date__lte=period_end)
                  .filter(Q(end_date__isnull=True) | Q(end_date__gte=period_start)).order_by("code"))
    reports = []
    for programme in programmes:
        report, created = Report.objects.select_for_update().get_or_create(
            requested_by=None, kind=ReportKind.DONOR, programme=programme, period_start=period_start,
            period_end=period_end, format=fmt, language=settings.LANGUAGE_CODE)
        if created or report.status == ReportStatus.FAILED:
            report.status, report.progress, report.error, report.finished_at = ReportStatus.QUEUED, 0, "", None
            report.save()
            report_build_enqueue(report.pk)
        reports.append(report)
    return reports


def reports_for_user(*, user):
    """The reports the pages list: admins all; others their own, and the monthly reports of the programmes they
    supervise (their notification links there)."""
    reports = Report.objects.select_related("programme", "requested_by")
    allowed = report_programmes(user)
    if allowed is None:
        return reports
    return reports.filter(Q(requested_by=user) | Q(requested_by__isnull=True, programme_id__in=allowed))


def report_for_reader(*, user, report_id) -> Report:
    """report_for_user, and also a monthly report for the supervisors of its programme; anyone else gets 404."""
    report = reports_for_user(user=user).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


def report_reader_download(*, user, report_id, request=None) -> Report:
    """A ready report's file for someone report_for_reader lets read it; every download is audited."""
    report = report_for_reader(user=user, report_id=report_id)
    if report.status != ReportStatus.READY or not report.file:
        raise Http404
    audit_record(actor=user, action=AuditAction.DOWNLOAD, request=request, obj=report)
    return report
