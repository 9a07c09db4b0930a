"""Log lines that carry their context: the terminal and the bet a line is about.

A line about a bet is logged with `extra={"terminal_id": …, "bet_uuid": …}`;
both formats below write every such field, so "what happened to this bet"
is one search, whichever terminal or process it went through.

- `plain` (the default): today's human line, then the fields as
  ` key=value` (logfmt-style, quoted when needed). Read by the person
  running `guichet server` in a terminal window.
- `json`: one JSON object per line. Chosen over logfmt for machines
  because logfmt has no agreed escaping, and our messages hold French
  text, quotes and `=` signs; every log shipper (Loki, Vector, Elastic,
  journald's exporters) reads JSON lines as they are.

Times are UTC, ISO 8601 with milliseconds and `Z`, in both.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

FORMATS = ("plain", "json")
ENV = "GUICHET_LOG_FORMAT"

# Every attribute a LogRecord has of its own; anything else came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}
_BARE = re.compile(r"[^\s=\"\\]+")


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    """The fields given with `extra=` on this record, in the order given."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _utc(record: logging.LogRecord) -> str:
    stamp = datetime.fromtimestamp(record.created, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _logfmt_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str,
                                                           ensure_ascii=False)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """`<time> <LEVEL> <logger>: <message> key=value …`, traceback below."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        head, sep, traceback = line.partition("\n")
        fields = "".join(f" {k}={_logfmt_value(v)}" for k, v in extra_fields(record).items())
        return f"{_utc(record)} {head}{fields}{sep}{traceback}"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the `extra=`
    fields, and the traceback as one string under `exc`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {"time": _utc(record), "level": record.levelname,
                                    "logger": record.name, "message": record.getMessage()}
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)  # a field cannot overwrite the four above
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def formatter(name: str | None) -> logging.Formatter:
    """The formatter called `name` (None or empty: plain). Raises ValueError
    with one line for the operator."""
    choice = (name or "plain").strip().lower()
    if choice == "plain":
        return PlainFormatter()
    if choice == "json":
        return JsonFormatter()
    raise ValueError(f"{ENV}: expected one of {', '.join(FORMATS)}, got {name!r}")


def stream_handler(name: str | None) -> logging.Handler:
    """A stderr handler writing `name`'s format, for `logging.basicConfig(handlers=…)`."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(name))
    return handler
