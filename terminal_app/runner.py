"""Running a terminal process: `guichet terminal`."""
from __future__ import annotations

import logging
import signal
import threading

from werkzeug.serving import make_server

from device_drivers.errors import DeviceError
from device_drivers.printer import open_printer
from guichet.web_security import QuietRequestHandler
from device_drivers.scanner import open_scanner

from .app import create_app
from .config import ConfigError
from .web.guard import LISTEN_KEY
from .adapters.store import TerminalStoreError

log = logging.getLogger("guichet.terminal")


class TerminalRunError(Exception):
    """The terminal cannot start; one line for the technician (English)."""


def _check_scanner(scanner: str) -> None:
    """A mistyped scanner URI stops the start; a port that is not there (yet) does not:
    the terminal says so on screen, keeps selling and tries the port again."""
    try:
        open_scanner(scanner).close()
    except DeviceError as exc:
        if exc.code not in ("serial_port_not_found", "serial_port_unavailable"):
            raise TerminalRunError(f"scanner {scanner!r} unusable: {exc.code}: {exc}") from None
        log.warning("scanner %s: %s", scanner, exc.code)


def run_terminal(data: str, host: str, port: int, printer: str | None,
                 scanner: str | None, drawer: str | None = None) -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if printer:
        try:
            open_printer(printer).close()
        except DeviceError as exc:
            raise TerminalRunError(f"printer {printer!r} unusable: {exc.code}: {exc}") from None
    if scanner:
        _check_scanner(scanner)
    try:
        app = create_app(data, {LISTEN_KEY: (host, port)})
        services = app.extensions["guichet.terminal"]
        services.store.lock_exclusive()
    except (ConfigError, TerminalStoreError) as exc:
        raise TerminalRunError(str(exc)) from None
    settings = {k: v for k, v in (("printer", printer), ("scanner", scanner),
                                  ("drawer", drawer)) if v}
    if settings:
        services.store.settings.set(**settings)
        services.devices.open_printer()
    services.devices.start_scanner()
    try:
        httpd = make_server(host, port, app, threaded=True,
                            request_handler=QuietRequestHandler)  # no Werkzeug/Python versions
    except OSError as exc:
        raise TerminalRunError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    services.start_sync()
    stopping = threading.Event()

    def _stop(*_args) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    saved = services.store.settings
    state = "enrolled as " + saved.get("terminal_id") if saved.enrolled \
        else "not enrolled: open the setup page"
    print(f"Guichet terminal on http://{host}:{port}/ ({state})", flush=True)
    try:
        httpd.serve_forever()
    finally:
        services.stop()
        log.info("terminal stopped")
