"""The back office's door, in real Chromium on the real server: login, a wrong
password, the audit page and its chain check, logout; each screen kept and checked
with axe-core."""
from __future__ import annotations

from playwright.sync_api import expect

from ..admin_support import PASSWORD, add_user_cli
from .a11y import accessibility_problems


def test_log_in_read_the_audit_log_and_log_out(page, server, workdir, screens):
    add_user_cli(server.db, "audrey", "auditor", workdir)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.url + "/")
    expect(page).to_have_url(server.url + "/admin/login?next=/admin/")
    assert accessibility_problems(page) == []
    page.screenshot(path=str(screens / "admin-login.png"))

    page.get_by_label("Nom").fill("audrey")
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Nom ou mot de passe incorrect.")

    page.get_by_label("Nom").fill("audrey")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    # an auditor's first section is « Masses »; the audit log is in the nav
    expect(page.get_by_role("heading", name="Masses")).to_be_visible()
    page.get_by_role("link", name="Journal d'audit").click()
    expect(page.get_by_role("heading", name="Journal d'audit")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("audrey (auditeur)")
    rows = page.locator("table.audit tbody tr")
    expect(rows.filter(has_text="login.failed")).to_have_count(1)
    expect(rows.filter(has_text="account.add")).to_have_count(1)

    page.locator("[data-role='audit-verify']").click()
    expect(page.locator("[data-role='audit-verdict']")).to_contain_text("Chaîne intacte")
    assert accessibility_problems(page) == []
    page.screenshot(path=str(screens / "admin-audit.png"), full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion au back office")).to_be_visible()
    page.goto(server.url + "/admin/audit")
    expect(page).to_have_url(server.url + "/admin/login?next=/admin/audit")
