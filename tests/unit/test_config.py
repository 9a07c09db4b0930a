"""Each app's settings are read once and a bad one stops the start with one line."""
from __future__ import annotations

import os
from importlib.metadata import version

import pytest
from click.testing import CliRunner
from flask import Config

from guichet import __version__
from guichet.cli import main
from guichet.paths import default_server_db
from server.config import ConfigError, ServerConfig, load
from terminal_app.config import ConfigError as TerminalConfigError
from terminal_app.config import TerminalConfig
from terminal_app.web.guard import LISTEN_KEY


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No GUICHET_* from the machine running the tests; $GUICHET_HOME in tmp_path."""
    for name in list(os.environ):
        if name.startswith("GUICHET_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GUICHET_HOME", str(tmp_path / "home"))
    return monkeypatch


def _load(overrides=None) -> ServerConfig:
    return load(Config("."), overrides)


def test_defaults_are_the_documented_ones(env, tmp_path):
    settings = _load()
    assert settings.db == str(tmp_path / "home" / "server.db") == default_server_db()
    assert settings.message_queue is None and settings.message_queue_channel == "guichet"
    assert (settings.offline_margin_s, settings.offline_ceiling_cents) == (300, 20_000)
    assert (settings.enrol_failures, settings.enrol_window_s) == (10, 600.0)
    assert settings.auto_close_interval_s == 1.0 and settings.rates is None


def test_environment_numbers_are_read_as_numbers(env):
    env.setenv("GUICHET_OFFLINE_MARGIN_S", "5400")
    env.setenv("GUICHET_OFFLINE_CEILING_CENTS", "100000")
    env.setenv("GUICHET_MESSAGE_QUEUE_CHANNEL", "guichet-test-1")
    settings = _load()
    assert (settings.offline_margin_s, settings.offline_ceiling_cents) == (5400, 100_000)
    assert settings.message_queue_channel == "guichet-test-1"


def test_create_app_config_wins_over_the_environment(env, tmp_path):
    env.setenv("GUICHET_DB", str(tmp_path / "env.db"))
    env.setenv("GUICHET_OFFLINE_CEILING_CENTS", "100000")
    settings = _load({"DB": str(tmp_path / "given.db"), "OFFLINE_CEILING_CENTS": 500,
                      "AUTO_CLOSE_INTERVAL_S": 0})
    assert settings.db == str(tmp_path / "given.db")
    assert settings.offline_ceiling_cents == 500 and settings.auto_close_interval_s == 0


def test_digits_in_a_text_setting_stay_its_text(env):
    env.setenv("GUICHET_MESSAGE_QUEUE_CHANNEL", "42")  # JSON-parsed to 42 by Flask
    assert _load().message_queue_channel == "42"


@pytest.mark.parametrize("name, value, expected", [
    ("GUICHET_OFFLINE_MARGIN_S", "abc", "GUICHET_OFFLINE_MARGIN_S: expected a whole number >= 0"),
    ("GUICHET_OFFLINE_MARGIN_S", "5400s", "GUICHET_OFFLINE_MARGIN_S: expected a whole number"),
    ("GUICHET_OFFLINE_MARGIN_S", "90.5", "GUICHET_OFFLINE_MARGIN_S: expected a whole number"),
    ("GUICHET_OFFLINE_CEILING_CENTS", "-1", "GUICHET_OFFLINE_CEILING_CENTS: expected a whole number >= 0"),
    ("GUICHET_OFFLINE_CEILING_CENTS", "true", "GUICHET_OFFLINE_CEILING_CENTS: expected a whole"),
    ("GUICHET_ENROL_FAILURES", "0", "GUICHET_ENROL_FAILURES: expected a whole number >= 1"),
    ("GUICHET_ENROL_WINDOW_S", "0", "GUICHET_ENROL_WINDOW_S: expected a number of seconds > 0"),
    ("GUICHET_AUTO_CLOSE_INTERVAL_S", "-2", "GUICHET_AUTO_CLOSE_INTERVAL_S: expected a number of seconds >= 0"),
    ("GUICHET_MESSAGE_QUEUE", "amqp://x", "GUICHET_MESSAGE_QUEUE: expected a redis:// or rediss:// URL"),
    ("GUICHET_MESSAGE_QUEUE_CHANNEL", "[1]", "GUICHET_MESSAGE_QUEUE_CHANNEL: expected a non-empty text"),
])
def test_a_bad_environment_value_is_one_line_naming_it(env, name, value, expected):
    env.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        _load()
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


def test_a_bad_value_given_to_create_app_is_refused_too(env, tmp_path):
    from server.web.app import create_app

    with pytest.raises(ConfigError, match="GUICHET_OFFLINE_CEILING_CENTS"):
        create_app({"DB": str(tmp_path / "s.db"), "OFFLINE_CEILING_CENTS": -5})
    assert not (tmp_path / "s.db").exists()  # refused before the store is opened


def test_create_app_without_db_uses_the_default_store(env, tmp_path):
    from server.web.app import create_app

    app = create_app({"AUTO_CLOSE_INTERVAL_S": 0})
    assert app.extensions["guichet.store"].path == tmp_path / "home" / "server.db"
    assert (tmp_path / "home").stat().st_mode & 0o777 == 0o700


def test_guichet_server_stops_on_a_bad_setting_before_gunicorn(env, tmp_path):
    env.setenv("GUICHET_OFFLINE_MARGIN_S", "abc")
    result = CliRunner().invoke(main, ["server", "--db", str(tmp_path / "s.db"), "--port", "1"])
    assert result.exit_code == 1
    assert "GUICHET_OFFLINE_MARGIN_S: expected a whole number >= 0, got 'abc'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s.db").exists()


def test_terminal_listen_address_is_checked():
    assert TerminalConfig.from_mapping({}) == TerminalConfig("127.0.0.1", 8701)
    assert TerminalConfig.from_mapping({LISTEN_KEY: ("0.0.0.0", 9000)}).port == 9000
    for bad in (("127.0.0.1", 0), ("", 8701), ("127.0.0.1", "8701"), "127.0.0.1:8701"):
        with pytest.raises(TerminalConfigError, match=LISTEN_KEY):
            TerminalConfig.from_mapping({LISTEN_KEY: bad})


def test_the_version_is_the_package_metadata():
    assert __version__ == version("guichet")
    result = CliRunner().invoke(main, ["--version"])
    assert result.output.strip() == f"guichet, version {__version__}"
