"""Imported by a test's worker (`celery worker --include tests.fault_hooks`): with AVR_FAULT_REPORT_SLEEP set, a
report build waits that many seconds before it computes, long enough for the test to kill the worker mid-build."""

import os
import time

from reports import services

_pause = float(os.environ.get("AVR_FAULT_REPORT_SLEEP", "0"))

if _pause:
    _compute = services.donor_report_data

    def slow_donor_report_data(**kwargs):
        time.sleep(_pause)
        return _compute(**kwargs)

    services.donor_report_data = slow_donor_report_data
