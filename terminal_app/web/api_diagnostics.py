"""Local JSON API of the diagnostics page (docs/hardware.md).

What is plugged in, the printer's and scanner's states, the last scans, a test
page, the drawer; and, for the demo and the tests, the `sim:` devices' faults
and scans.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from device_drivers.errors import DeviceError

from .api import local_auth, services
from ..adapters.shop_devices import Devices

bp = Blueprint("api_diagnostics", __name__, url_prefix="/api/diagnostics")


def devices() -> Devices:
    return services().devices


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _refused(exc: DeviceError, status: int = 422):
    return jsonify(ok=False, error=exc.code, message=exc.message), status


@bp.get("")
@local_auth
def overview():
    return jsonify(ok=True, **devices().diagnostics())


@bp.post("/test-page")
@local_auth
def test_page():
    result = devices().print_test_page()
    return jsonify(result), (200 if result["ok"] else 409)


@bp.post("/drawer")
@local_auth
def drawer():
    result = devices().kick_drawer("diagnostics", force=True)
    return jsonify(ok=result["opened"], **result), (200 if result["opened"] else 409)


@bp.post("/drawer-setting")
@local_auth
def drawer_setting():
    enabled = _body().get("enabled")
    if not isinstance(enabled, bool):
        return jsonify(ok=False, error="bad_request",
                       message="Réglage attendu : {\"enabled\": true} ou false."), 400
    devices().set_drawer_enabled(enabled)
    return jsonify(ok=True, enabled=enabled)


@bp.post("/printer-fault")
@local_auth
def printer_fault():
    body = _body()
    try:
        devices().set_simulated_fault(str(body.get("fault", ""))[:20],
                                      during_next_job=body.get("during_next_job") is True)
    except DeviceError as exc:
        return _refused(exc, 409 if exc.code == "not_simulated" else 422)
    return jsonify(ok=True, printer=devices().printer_state(), simulator=devices().simulator_info())


@bp.post("/scan")
@local_auth
def simulated_scan():
    code = _body().get("code")
    if not isinstance(code, str) or len(code) > 4096:
        return jsonify(ok=False, error="bad_request", message="Code attendu (texte)."), 400
    try:
        devices().push_simulated_scan(code)
    except DeviceError as exc:
        return _refused(exc, 409)
    return jsonify(ok=True)
