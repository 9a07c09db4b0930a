"""The `sim:` printer: states, refusals, job ids, reprints."""
from __future__ import annotations

import threading

import pytest

from device_drivers import (
    CoverOpen,
    DeviceConfigError,
    PaperOut,
    PrinterNoAnswer,
    PrinterOffline,
    TicketLayout,
    open_printer,
    reset_simulators,
    simulated_printer,
)

CODE = "000042000000017123456780"


@pytest.fixture(autouse=True)
def fresh_simulators():
    reset_simulators()
    yield
    reset_simulators()


@pytest.fixture
def printer():
    return open_printer("sim:")


def layout(**changes) -> TicketLayout:
    fields = dict(header=("PMU", "Bar du Centre", "Terminal T000042"),
                  body=("R1C4 Vincennes 13h50", "Simple gagnant unitaire", "Cheval : 7"),
                  emphasis=("TOTAL 2,00 €",), code=CODE, footer=("01/01/2021 13:42", "Job j-1"))
    fields.update(changes)
    return TicketLayout(**fields)


def test_simulator_prints_and_keeps_text_and_barcode(printer):
    printer.print_ticket(layout(), "j-1")
    job = printer.simulator.last
    assert job.job_id == "j-1" and job.kind == "ticket"
    assert "TOTAL 2,00 €" in job.lines and "0000 4200 0000 0171 2345 6780" in job.lines
    assert [b.payload for b in job.barcodes] == [CODE]
    assert job.data.startswith(b"\x1b@")


@pytest.mark.parametrize("fault, state, words", [
    (None, "ok", "prête"),
    ("paper_low", "paper_low", "bientôt épuisé"),
    ("paper_out", "paper_out", "Plus de papier"),
    ("cover_open", "cover_open", "Capot"),
    ("offline", "offline", "hors ligne"),
    ("no_answer", "unknown", "ne répond pas"),
])
def test_faults_give_states_and_french_messages(printer, fault, state, words):
    printer.simulator.set_fault(fault)
    status = printer.status()
    assert status.state == state and words in status.message
    assert status.to_dict() == {"state": state, "message": status.message,
                                "can_print": state in ("ok", "paper_low")}


@pytest.mark.parametrize("fault, error, code", [
    ("paper_out", PaperOut, "paper_out"),
    ("cover_open", CoverOpen, "cover_open"),
    ("offline", PrinterOffline, "printer_offline"),
    ("no_answer", PrinterNoAnswer, "printer_no_answer"),
])
def test_ticket_refused_when_printer_not_ready_and_nothing_sent(printer, fault, error, code):
    printer.simulator.set_fault(fault)
    with pytest.raises(error) as err:
        printer.print_ticket(layout(), "j-1")
    assert err.value.code == code
    assert "ticket n'a pas été imprimé" in err.value.message
    assert err.value.status.state == printer.status().state
    assert not printer.simulator.jobs and printer.simulator.lost_bytes == 0
    assert not printer.has_printed("j-1")


def test_refused_ticket_prints_once_the_fault_is_cleared(printer):
    printer.simulator.set_fault("paper_out")
    with pytest.raises(PaperOut):
        printer.print_ticket(layout(), "j-1")
    printer.simulator.set_fault(None)
    printer.print_ticket(layout(), "j-1")
    assert len(printer.simulator.jobs) == 1


def test_paper_running_out_during_a_job_is_an_interrupted_job_printed_again_on_retry(printer):
    from device_drivers import PrintFailed

    printer.simulator.set_fault("paper_out", during_next_job=True)
    assert printer.status().state == "ok"              # ready when the job starts
    with pytest.raises(PrintFailed) as err:
        printer.print_ticket(layout(), "j-1")
    assert err.value.code == "print_interrupted" and "Plus de papier" in err.value.message
    half = printer.simulator.last
    assert not half.complete and not half.barcodes     # the roll ended before the barcode
    assert not printer.has_printed("j-1") and printer.status().state == "paper_out"
    printer.simulator.set_fault(None)
    printer.print_ticket(layout(), "j-1")              # the retry, same job id
    printer.print_ticket(layout(), "j-1")              # and again: nothing more
    complete = [job for job in printer.simulator.jobs if job.complete]
    assert len(complete) == 1 and [b.payload for b in complete[0].barcodes] == [CODE]


def test_paper_low_still_prints(printer):
    printer.simulator.set_fault("paper_low")
    printer.print_ticket(layout(), "j-1")
    assert len(printer.simulator.jobs) == 1


def test_same_job_id_is_not_printed_twice(printer):
    printer.print_ticket(layout(), "j-1")
    printer.print_ticket(layout(), "j-1")
    printer.print_ticket(layout(), "j-2")
    assert [job.job_id for job in printer.simulator.jobs] == ["j-1", "j-2"]


def test_concurrent_retries_of_one_job_print_one_ticket(printer):
    threads = [threading.Thread(target=printer.print_ticket, args=(layout(), "j-1")) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(printer.simulator.jobs) == 1


def test_reprint_prints_again_marked_duplicata(printer):
    printer.print_ticket(layout(), "j-1")
    printer.print_ticket(layout(), "j-1", reprint=True)
    first, second = printer.simulator.jobs
    assert "DUPLICATA" not in first.text
    assert second.lines[0].strip() == "DUPLICATA" and second.lines[-1].strip() == "DUPLICATA"


def test_duplicata_layout_is_a_reprint(printer):
    printer.print_ticket(layout(), "j-1")
    printer.print_ticket(layout(banner="DUPLICATA"), "j-1")
    assert len(printer.simulator.jobs) == 2
    assert printer.simulator.last.decoded.styled[0].big


def test_provisional_ticket_banner(printer):
    printer.print_ticket(layout(banner="PROVISOIRE"), "j-1")
    lines = printer.simulator.last.lines
    assert lines[0].strip() == "PROVISOIRE" and lines[-1].strip() == "PROVISOIRE"


def test_print_lines_for_till_report(printer):
    printer.print_lines("CLÔTURE DE CAISSE", ["Ventes : 120,00 €", "Paiements : 35,50 €"])
    job = printer.simulator.last
    assert job.kind == "lines" and job.lines[0] == "CLÔTURE DE CAISSE" and "Ventes : 120,00 €" in job.lines


def test_print_lines_refused_when_paper_out(printer):
    printer.simulator.set_fault("paper_out")
    with pytest.raises(PaperOut):
        printer.print_lines("CAISSE", ["x"])


def test_test_page_is_tried_even_when_the_printer_does_not_answer(printer):
    printer.print_test_page()
    assert "PAGE DE TEST" in printer.simulator.last.lines
    printer.simulator.set_fault("no_answer")
    printer.print_test_page()                       # sent; a silent printer may still print
    assert printer.simulator.lost_bytes > 0
    printer.simulator.set_fault("cover_open")
    with pytest.raises(CoverOpen):
        printer.print_test_page()


def test_simulators_are_shared_by_name():
    assert open_printer("sim:").simulator is simulated_printer()
    assert open_printer("sim:").simulator is open_printer("sim:?profile=TM-T20II").simulator
    assert open_printer("sim:caisse2").simulator is simulated_printer("caisse2")
    assert simulated_printer("caisse2") is not simulated_printer()


def test_job_ids_belong_to_the_printer_object():
    open_printer("sim:").print_ticket(layout(), "j-1")
    open_printer("sim:").print_ticket(layout(), "j-1")
    assert len(simulated_printer().jobs) == 2


def test_unknown_fault_is_refused(printer):
    with pytest.raises(DeviceConfigError):
        printer.simulator.set_fault("on_fire")


def test_print_ticket_checks_its_arguments(printer):
    from device_drivers import InvalidTicketLayout
    with pytest.raises(InvalidTicketLayout):
        printer.print_ticket({"code": CODE}, "j-1")
    with pytest.raises(InvalidTicketLayout):
        printer.print_ticket(layout(), "")
    assert not printer.simulator.jobs
