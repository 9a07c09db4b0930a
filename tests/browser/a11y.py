"""Accessibility checks for the browser tests (axe-core, shipped by axe-playwright-python)."""
from __future__ import annotations


def accessibility_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            f"{', '.join(str(n['target'][0]) for n in v['nodes'][:3])}"
            for v in found if v["impact"] in ("serious", "critical")]
