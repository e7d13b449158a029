"""An admin asks for a donor report in a real browser, watches it being made, and downloads the PDF.

The page is in Spanish (es-MX); the test finds things by data-testid / data-* attributes. The worker's part is played
by the test itself (the enqueue is recorded instead of sent), so the page's own polling must bring each step in.
"""

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports import services
from reports.choices import ReportStatus
from reports.models import Report
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_the_admin_asks_for_a_pdf_report_sees_its_progress_and_downloads_it(page, settings, tmp_path, monkeypatch):
    # given report files kept apart, and a worker that has not picked the report up yet
    settings.MEDIA_ROOT = tmp_path
    queued = []
    monkeypatch.setattr(services, "report_build_enqueue", queued.append)

    # when the admin asks for the PDF of the caravans programme over a period
    sign_in(page, "admin")
    page.locator("nav [data-nav=report_list]").click()
    page.locator("main [data-testid=new-report]").click()
    form = page.locator("main form[data-testid=report-form]")
    form.locator("select[name=programme]").select_option("CARAVAN-2018")
    form.locator("input[name=period_start]").fill("2018-11-01")
    form.locator("input[name=period_end]").fill(timezone.localdate().isoformat())
    form.locator("select[name=format]").select_option("pdf")
    form.locator("[data-testid=request-report]").click()

    # then the report's page shows it queued, and follows it by itself to running and to ready
    progress = page.locator("main [data-testid=report-progress]")
    expect(progress).to_have_attribute("data-status", "queued")
    report = Report.objects.get()
    assert queued == [report.pk]
    assert (report.programme.code, report.period_start, report.format) == ("CARAVAN-2018", date(2018, 11, 1), "pdf")
    expect(page.locator("main [data-testid=report-download]")).to_have_count(0)

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, progress=45)
    expect(progress).to_have_attribute("data-status", "running")
    expect(progress.get_by_test_id("report-percent")).to_have_text("45%")

    services.report_build(report.pk)
    expect(progress).to_have_attribute("data-status", "ready")
    expect(progress.get_by_test_id("report-percent")).to_have_text("100%")
    expect(progress.locator("progress")).to_have_attribute("value", "100")

    # and the PDF downloads
    with page.expect_download() as download_info:
        progress.get_by_test_id("report-download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("donor-report-CARAVAN-2018-20181101-")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
