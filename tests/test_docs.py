"""The docs say what the code does: commands, events, the two README commands."""
from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from guichet.cli import main
from server.web.socket_ns import TerminalNamespace

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: str = "guichet"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    ci_command = [line for line in ci.splitlines() if line.startswith("apt-get")]
    assert len(ci_command) == 1
    assert f"```sh\n{ci_command[0]}\n```" in readme


def test_readme_shows_the_demo_command():
    assert "```sh\npip install . && guichet demo\n```" in (ROOT / "README.md").read_text()


def test_every_command_is_documented_and_has_help_with_an_example():
    readme = (ROOT / "README.md").read_text()
    runner = CliRunner()
    for path, command in _commands(main):
        assert f"`{path}" in readme, f"{path} missing from README"
        result = runner.invoke(main, path.split()[1:] + ["--help"])
        assert result.exit_code == 0, path
        assert command.help and "Example:" in command.help, f"{path} help has no example"


def test_every_socket_event_is_documented():
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    events = [name[3:] for name in vars(TerminalNamespace)
              if name.startswith("on_") and name not in ("on_connect", "on_disconnect")]
    assert events
    for event in events:
        assert re.search(rf"`{event}`", protocol), f"event {event} not documented"
