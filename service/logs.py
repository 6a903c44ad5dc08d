"""Structured JSON logs, one object per line, each carrying the request id of the request it belongs to.

Nothing secret is logged: no bodies, no GraphQL variables, no tokens, and the formatter drops
any `extra` key that looks like a secret as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import datetime, timezone

_request_id: ContextVar[str] = ContextVar("autofin_request_id", default="-")

SECRET_WORDS = ("password", "token", "secret", "ssn", "account_number", "authorization", "cookie", "totp", "code")
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName", "request_id"}


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(request_id: str):
    return _request_id.set(request_id)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def _install_record_factory() -> None:
    """Stamp each record with the request id when it is created: handlers may format it later,
    after the request (and its context) has ended."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_autofin", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get()
        return record

    factory._autofin = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD_ATTRS or key in entry or key.startswith("_"):
                continue
            if any(word in key.lower() for word in SECRET_WORDS):
                continue
            entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would print query strings; our middleware logs requests instead.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Tortoise logs SQL with parameter values at DEBUG; never let that reach production logs.
    logging.getLogger("tortoise").setLevel(max(logging.getLevelName(level), logging.INFO))
