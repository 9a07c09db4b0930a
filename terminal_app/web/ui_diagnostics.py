"""The technician's diagnostics page: what is plugged in, printer and scanner states,
the last scans live, a test page, the drawer, and the `sim:` devices' faults."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from betting.programme import parse_utc
from device_drivers.errors import DeviceError

from .api import services
from ..adapters.shop_devices import SIM_FAULTS, Devices
from ..services.wording import local_datetime
from .ui import guard_ui_session

bp = Blueprint("ui_diagnostics", __name__)
bp.before_request(guard_ui_session)

FAULT_LABELS = {"none": "aucune", "paper_low": "papier bientôt épuisé", "paper_out": "plus de papier",
                "cover_open": "capot ouvert", "offline": "hors ligne", "no_answer": "ne répond pas"}


@bp.app_template_filter("heure_sec")
def _heure_sec(iso: str) -> str:
    """A scan's time as the shop's clock shows it."""
    try:
        return local_datetime(parse_utc(iso))[11:19]
    except (TypeError, ValueError):
        return ""


def devices() -> Devices:
    return services().devices


@bp.get("/diagnostics")
def page():
    return render_template("terminal/diagnostics.html", diag=devices().diagnostics(),
                           faults=SIM_FAULTS, fault_labels=FAULT_LABELS)


@bp.get("/ui/diagnostics/devices")
def devices_fragment():
    d = devices()
    diag = {"printer": {"uri": d.printer_uri, **d.printer_state()},
            "scanner": d.scanner_state(), "drawer": {"enabled": d.drawer_enabled},
            "simulator": d.simulator_info()}
    return render_template("terminal/_diag_states.html", diag=diag, fault_labels=FAULT_LABELS)


@bp.get("/ui/diagnostics/scans")
def scans_fragment():
    return render_template("terminal/_diag_scans.html", scans=devices().feed.recent(20))


def _said(ok: bool, message: str):
    kind = "ok" if ok else "error"
    return (render_template("terminal/_message.html", kind=kind, message=message),
            200 if ok else 409, {"HX-Trigger": "devices-changed"})


@bp.post("/ui/diagnostics/test-page")
def test_page():
    result = devices().print_test_page()
    return _said(result["ok"], result["message"])


@bp.post("/ui/diagnostics/drawer")
def drawer():
    result = devices().kick_drawer("diagnostics", force=True)
    return _said(result["opened"], result["message"])


@bp.post("/ui/diagnostics/drawer-setting")
def drawer_setting():
    enabled = request.form.get("enabled") == "on"
    devices().set_drawer_enabled(enabled)
    return _said(True, "Ouverture automatique du tiroir " + ("activée." if enabled else "désactivée."))


@bp.post("/ui/diagnostics/fault")
def fault():
    name = request.form.get("fault", "")[:20]
    try:
        devices().set_simulated_fault(name, during_next_job=request.form.get("during") == "1")
    except DeviceError as exc:
        return _said(False, exc.message)
    label = FAULT_LABELS.get(name, name)
    when = " au milieu du prochain ticket" if request.form.get("during") == "1" else ""
    return _said(True, f"Imprimante simulée : panne « {label} »{when}.")


@bp.post("/ui/diagnostics/scan")
def simulated_scan():
    try:
        devices().push_simulated_scan(request.form.get("code", "")[:4096])
    except DeviceError as exc:
        return _said(False, exc.message)
    return _said(True, "Code envoyé au lecteur simulé.")
