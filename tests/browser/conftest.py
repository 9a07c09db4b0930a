import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def small(browser):
    """The smallest screen a counter has: 1024x768."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    yield page
    context.close()


SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"


@pytest.fixture(scope="session")
def screens() -> Path:
    """Where browser tests keep a picture of each screen they check: $GUICHET_SCREENSHOTS,
    else test-artifacts/screens/ at the top of the tree (kept after the run, not in git)."""
    folder = Path(os.environ.get("GUICHET_SCREENSHOTS") or SCREENS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder

