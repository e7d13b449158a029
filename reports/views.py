"""Pages of donor reports: ask for one, watch it being made, download it. The rules live in reports.services.

Admins report on every programme, supervisors on theirs; to anyone else these pages do not exist (404).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Programme
from reports import services
from reports.api.views import CONTENT_TYPES
from reports.choices import ReportStatus
from reports.forms import ReportForm

LISTED = 100


def reporter_programmes(user) -> list | None:
    """The programmes the user may report on (None: all); 404 for someone who may report on none."""
    allowed = services.report_programmes(user)
    if allowed == []:
        raise Http404
    return allowed


@login_required
def report_list(request):
    """The user's reports (an admin's: everyone's), newest first."""
    reporter_programmes(request.user)
    reports = services.reports_for_user(user=request.user)[:LISTED]
    return render(request, "reports/report_list.html", {"reports": reports})


def last_month() -> dict:
    start, end = services.monthly_period(timezone.localdate())
    return {"period_start": start, "period_end": end}


@login_required
def report_new(request):
    """Ask for a donor report of a programme (or, for admins, of all) over a period."""
    allowed = reporter_programmes(request.user)
    programmes = Programme.objects.order_by("code")
    if allowed is not None:
        programmes = programmes.filter(pk__in=allowed)
    form = ReportForm(request.POST or None, initial=last_month(), programmes=programmes,
                      all_programmes=allowed is None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_request(actor=request.user, programme_code=data["programme"] or None,
                                             period_start=data["period_start"], period_end=data["period_end"],
                                             fmt=data["format"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("report_detail", pk=report.pk)
    return render(request, "reports/report_form.html", {"form": form})


@login_required
def report_detail(request, pk: int):
    """One report: what was asked, its progress (polled every 2 s while it is being made), the download."""
    reporter_programmes(request.user)
    report = services.report_for_reader(user=request.user, report_id=pk)
    return render(request, "reports/report_detail.html", {"report": report, **progress_context(report)})


@login_required
def report_progress(request, pk: int):
    """The progress block alone, for htmx to swap in."""
    reporter_programmes(request.user)
    report = services.report_for_reader(user=request.user, report_id=pk)
    return render(request, "reports/_progress.html", {"report": report, **progress_context(report)})


def progress_context(report) -> dict:
    return {"in_progress": report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)}


@login_required
def report_download(request, pk: int):
    """The report's file, as an attachment nobody caches; audited."""
    reporter_programmes(request.user)
    report = services.report_reader_download(user=request.user, report_id=pk, request=request)
    response = FileResponse(report.file.open("rb"), as_attachment=True, filename=report.file.name.rsplit("/", 1)[-1],
                            content_type=CONTENT_TYPES[report.format])
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def report_again(request, pk: int):
    """Ask again for a report with the same parameters: the user's own request is replaced, not duplicated."""
    reporter_programmes(request.user)
    report = services.report_for_reader(user=request.user, report_id=pk)
    try:
        again = services.report_request(actor=request.user,
                                        programme_code=report.programme.code if report.programme else None,
                                        period_start=report.period_start, period_end=report.period_end,
                                        fmt=report.format, language=report.language)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("report_detail", pk=report.pk)
    messages.success(request, _("The report was asked for again."))
    return redirect("report_detail", pk=again.pk)
