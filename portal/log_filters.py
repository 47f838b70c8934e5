"""Logging filters for the console."""

import logging


class RefusedWithoutTraceback(logging.Filter):
    """``django.request`` logs a 403 with the ``PermissionDenied`` traceback. A refused
    page is no error of ours: one line ("Forbidden (Permission denied): /path") says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
