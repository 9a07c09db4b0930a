"""The terminal app's settings, read in one place and checked before it starts.

As on the server (server/config.py): `GUICHET_<NAME>` from the environment,
then the mapping given to `create_app`, which wins. The terminal's own
choices (printer, scanner, drawer, server URL) are not settings of the
process: they live in its data folder and are changed from its setup page.
What is left is where it listens, which `guichet terminal --host/--port`
passes in; a bad address stops the start with one English line.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Config

from guichet.paths import DEFAULT_TERMINAL_PORT

from .web.guard import LISTEN_KEY

PREFIX = "GUICHET"


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line for the technician."""


@dataclass(frozen=True)
class TerminalConfig:
    """The address the UI and local API listen on; the Host and Origin checks
    (terminal_app/web/guard.py) accept this address and no other."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_TERMINAL_PORT

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> TerminalConfig:
        if LISTEN_KEY not in values:
            return cls()
        listen = values[LISTEN_KEY]
        if (not isinstance(listen, (tuple, list)) or len(listen) != 2
                or not isinstance(listen[0], str) or not listen[0].strip()
                or isinstance(listen[1], bool) or not isinstance(listen[1], int)
                or not 1 <= listen[1] <= 65535):
            raise ConfigError(f"{LISTEN_KEY}: expected (host, port) with a port from 1 to "
                              f"65535, got {listen!r}")
        return cls(host=listen[0], port=listen[1])


def load(target: Config, overrides: Mapping[str, object] | None = None) -> TerminalConfig:
    """Fill `target` (the app's `config`) from the environment, then from
    `overrides`, and return the checked settings. Raises `ConfigError`."""
    target.from_prefixed_env(PREFIX)
    target.update(overrides or {})
    return TerminalConfig.from_mapping(target)
