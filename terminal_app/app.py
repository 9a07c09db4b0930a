"""The terminal's Flask application factory (UI and local JSON API on 127.0.0.1)."""
from __future__ import annotations

import secrets

from flask import Flask, jsonify

from guichet import __version__ as VERSION
from guichet.paths import STATIC, TEMPLATES
from guichet.web_security import FRENCH
from guichet.web_security import install as install_web_security

from .web.api import bp as api_bp
from .web.api_diagnostics import bp as api_diagnostics_bp
from .web.api_tickets import bp as api_tickets_bp
from .config import load as load_config
from .web.guard import install as install_guard
from .bootstrap import bootstrap
from .web.ui import bp as ui_bp
from .web.ui_basket import bp as ui_basket_bp
from .web.ui_diagnostics import bp as ui_diagnostics_bp
from .web.ui_live import bp as ui_live_bp
from .web.ui_report import bp as ui_report_bp
from .web.ui_tickets import bp as ui_tickets_bp
from .web.api_till import bp as api_till_bp
from .web.ui_till import bp as ui_till_bp
from .web.ui_till import install as install_clerk_gate


def create_app(data_dir: str, config: dict | None = None) -> Flask:
    """The terminal app on `data_dir`; `config` wins over `GUICHET_*` in the
    environment, and a bad setting raises `ConfigError` (terminal_app/config.py)."""
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    settings = load_config(app.config, config)
    services = bootstrap(data_dir, version=VERSION)
    saved = services.store.settings
    secret = saved.get("session_secret")  # the store's, whatever the environment says
    if not secret:
        secret = secrets.token_hex(32)
        saved.set(session_secret=secret)
    app.config.update(SECRET_KEY=secret, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_HTTPONLY=True)
    # Host, Origin and CSRF checks before anything else (terminal_app/web/guard.py); the
    # address the terminal listens on comes from `guichet terminal --host/--port`.
    install_guard(app, settings.host, settings.port)
    # Security headers, a 64 KB body cap checked before the guard reads any form
    # (256 KB for the setup form, which may carry a CA bundle), and 400 bad_json
    # for unreadable JSON: guichet/web_security.py.
    install_web_security(app, FRENCH, {"ui.setup": 256 * 1024})
    app.extensions["guichet.terminal"] = services
    # once the terminal has clerks, a clerk session for the UI (terminal_app/web/ui_till.py)
    install_clerk_gate(app)
    app.register_blueprint(ui_till_bp)
    app.register_blueprint(api_till_bp)
    app.register_blueprint(ui_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(ui_live_bp)  # live state pushed to the sale screen
    for blueprint in (ui_tickets_bp, ui_diagnostics_bp, api_tickets_bp, api_diagnostics_bp,
                      ui_basket_bp, ui_report_bp):
        app.register_blueprint(blueprint)

    @app.get("/healthz")
    def healthz():
        return jsonify(ok=True)

    return app
