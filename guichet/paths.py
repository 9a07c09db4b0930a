"""Where the Jinja templates and vendored static files live.

In a source checkout they are the top-level `templates/` and `static/`
folders; in an installed copy they are shipped inside this package.
"""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"Guichet is missing its {name}/ folder; reinstall it.")


TEMPLATES = _find("templates")
STATIC = _find("static")
