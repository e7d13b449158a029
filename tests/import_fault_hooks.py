"""Imported by a test's worker (`celery worker --include tests.import_fault_hooks`): with AVR_FAULT_IMPORT_ROW_SLEEP
set, each row of a merge waits that long after its case is made, inside its transaction, so the test can kill the
worker mid-merge (and mid-row)."""

import os
import time

from imports import merge

_pause = float(os.environ.get("AVR_FAULT_IMPORT_ROW_SLEEP", "0"))

if _pause:
    _register = merge.case_register

    def slow_case_register(**kwargs):
        result = _register(**kwargs)
        time.sleep(_pause)
        return result

    merge.case_register = slow_case_register
