"""Structured log lines: the terminal and the bet a line is about, in both formats."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest

from guichet.log_format import JsonFormatter, PlainFormatter, formatter, stream_handler


def emit(fmt: logging.Formatter, *args, exc: bool = False, **extra) -> str:
    """What one record logged through `fmt` looks like."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(fmt)
    logger = logging.getLogger("guichet.test.log_format")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        if exc:
            try:
                raise RuntimeError("store gone")
            except RuntimeError:
                logger.exception(*args, extra=extra or None)
        else:
            logger.info(*args, extra=extra or None)
    finally:
        logger.removeHandler(handler)
    return out.getvalue()


def test_json_line_carries_terminal_and_bet():
    line = emit(JsonFormatter(), "bet from %s rejected: %s", "T1", "pool_closed",
                terminal_id="T1", bet_uuid="6f1c-…", reason="pool_closed", seq=12)
    assert line.endswith("\n") and line.count("\n") == 1
    entry = json.loads(line)
    assert entry["message"] == "bet from T1 rejected: pool_closed"
    assert (entry["terminal_id"], entry["bet_uuid"], entry["seq"]) == ("T1", "6f1c-…", 12)
    assert entry["level"] == "INFO" and entry["logger"] == "guichet.test.log_format"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])


def test_json_line_without_extra_has_only_the_four_fields():
    assert set(json.loads(emit(JsonFormatter(), "terminal connected"))) == {
        "time", "level", "logger", "message"}


def test_json_traceback_stays_on_one_line():
    line = emit(JsonFormatter(), "bet could not be placed", exc=True, terminal_id="T1",
                bet_uuid="u1")
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert "RuntimeError: store gone" in entry["exc"] and entry["bet_uuid"] == "u1"


def test_json_extra_cannot_overwrite_the_message():
    entry = json.loads(emit(JsonFormatter(), "real", time="forged", level="forged"))
    assert entry["message"] == "real" and entry["level"] == "INFO" and entry["time"] != "forged"


def test_json_quotes_and_newlines_in_a_value_stay_inside_the_line():
    line = emit(JsonFormatter(), 'a "quoted"\nmessage', bet_uuid='x"\ny')
    assert line.count("\n") == 1
    assert json.loads(line)["bet_uuid"] == 'x"\ny'


def test_plain_line_keeps_its_shape_and_appends_the_fields():
    line = emit(PlainFormatter(), "bet from %s rejected", "T1", terminal_id="T1",
                bet_uuid="u-1", message_fr="Les paris sont fermés")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO guichet\.test\.log_format: "
        r'bet from T1 rejected terminal_id=T1 bet_uuid=u-1 message_fr="Les paris sont fermés"\n',
        line)


def test_plain_line_without_extra_is_unchanged_apart_from_the_utc_time():
    line = emit(PlainFormatter(), "terminal %s connected", "T9")
    assert line.endswith(" INFO guichet.test.log_format: terminal T9 connected\n")


def test_plain_fields_sit_on_the_first_line_above_the_traceback():
    first, *rest = emit(PlainFormatter(), "failed", exc=True, bet_uuid="u1").splitlines()
    assert first.endswith("failed bet_uuid=u1")
    assert rest[0] == "Traceback (most recent call last):"


@pytest.mark.parametrize("name, kind", [(None, PlainFormatter), ("", PlainFormatter),
                                        ("plain", PlainFormatter), ("JSON", JsonFormatter)])
def test_format_chosen_by_name(name, kind):
    assert type(formatter(name)) is kind
    assert type(stream_handler(name).formatter) is kind


def test_unknown_format_is_refused_with_the_variable_named():
    with pytest.raises(ValueError, match=r"GUICHET_LOG_FORMAT: expected one of plain, json"):
        formatter("logfmt")
