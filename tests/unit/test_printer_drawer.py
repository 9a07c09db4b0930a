"""Cash drawer kick through the printer (ESC p 0, pin 2)."""
from __future__ import annotations

import pytest

from device_drivers import PrinterOffline, open_printer, reset_simulators
from device_drivers.escpos_decode import decode

KICK = b"\x1bp\x00\x32\x32"            # ESC p m=0 (pin 2) on 100 ms, off 100 ms


@pytest.fixture(autouse=True)
def fresh_simulators():
    reset_simulators()
    yield
    reset_simulators()


def test_drawer_kick_bytes_in_a_file_printer(tmp_path):
    path = tmp_path / "out.bin"
    open_printer(f"file:{path}").open_drawer()
    assert path.read_bytes() == KICK
    assert decode(KICK).drawer_kicks == 1


def test_simulated_drawer_opens_without_paper():
    printer = open_printer("sim:")
    printer.open_drawer()
    printer.simulator.set_fault("paper_out")
    printer.open_drawer()
    assert printer.simulator.drawer_kicks == 2 and not printer.simulator.jobs


@pytest.mark.parametrize("fault", ["offline", "cover_open", "no_answer"])
def test_simulated_drawer_stays_shut_when_the_printer_is_down(fault):
    printer = open_printer("sim:")
    printer.simulator.set_fault(fault)
    printer.open_drawer()                          # a real printer would not say either
    assert printer.simulator.drawer_kicks == 0


def test_drawer_on_an_unreachable_printer_raises_a_device_error(tmp_path):
    with pytest.raises(PrinterOffline) as err:
        open_printer(f"file:{tmp_path}/absent/out.bin").open_drawer()
    assert err.value.message.startswith("Fichier")
