"""The exact ESC/POS bytes of a ticket, and the same ticket read back."""
from __future__ import annotations

import pytest

from device_drivers.errors import DeviceConfigError, InvalidTicketLayout
from device_drivers.escpos_decode import decode
from device_drivers.render import code128_data, lines_job, ticket_job
from device_drivers.ticket import TicketLayout

ESC, GS = b"\x1b", b"\x1d"
CODE = "000042000000017123456780"
CODE_C = bytes([0, 0, 42, 0, 0, 0, 1, 71, 23, 45, 67, 80])    # the code, two digits a byte


def small_layout(**changes) -> TicketLayout:
    fields = dict(header=("PMU", "Bar du Centre"), body=("R1C4 Vincennes", "Simple gagnant : 7"),
                  emphasis=("TOTAL 2,00 €",), code=CODE, footer=("Job j-1",))
    fields.update(changes)
    return TicketLayout(**fields)


def test_small_ticket_exact_bytes():
    rule = b"-" * 42 + b"\n"
    expected = b"".join([
        ESC + b"@", ESC + b"t\x10",                               # init, code page 16 = CP1252
        ESC + b"E\x01", ESC + b"a\x01", b"PMU\nBar du Centre\n",   # header: bold, centred
        ESC + b"E\x00", ESC + b"a\x00", rule,
        b"R1C4 Vincennes\nSimple gagnant : 7\n", rule,
        GS + b"!\x11", ESC + b"E\x01", ESC + b"a\x01", b"TOTAL 2,00 \x80\n",   # big, bold; 0x80 = EUR
        GS + b"!\x00", ESC + b"E\x00", ESC + b"a\x00",
        ESC + b"a\x01", GS + b"h\x50", GS + b"w\x02", GS + b"f\x00", GS + b"H\x00",   # barcode setup
        GS + b"kI\x0e{C" + CODE_C, b"\n",                                           # CODE128, 14 bytes
        ESC + b"E\x01", b"0000 4200 0000 0171 2345 6780\n", ESC + b"E\x00", ESC + b"a\x00",
        ESC + b"a\x01", b"Job j-1\n", ESC + b"a\x00",
        ESC + b"d\x06", GS + b"V\x00",                             # feed past the cutter, full cut
    ])
    assert ticket_job(small_layout()) == expected


def test_ticket_starts_with_init_and_code_page_and_ends_with_cut():
    data = ticket_job(small_layout())
    assert data.startswith(ESC + b"@" + ESC + b"t\x10")
    assert data.endswith(ESC + b"d\x06" + GS + b"V\x00")


def test_euro_sign_is_the_code_page_byte_not_utf8():
    data = ticket_job(small_layout(body=("Mise de base 2,00 €",)))
    assert b"2,00 \x80" in data
    assert "€".encode() not in data


def test_french_letters_in_cp1252():
    data = ticket_job(small_layout(body=("Écurie : élan, cœur, « 3 » l’arrivée",)))
    assert "Écurie : élan, cœur, « 3 » l’arrivée".encode("cp1252") in data


def test_narrow_no_break_space_of_french_amounts_prints_as_space():
    data = ticket_job(small_layout(emphasis=("TOTAL 1\u202f234,00\u00a0€",)))
    assert b"TOTAL 1 234,00 \x80" in data


def test_codepage_cp858_puts_euro_at_d5():
    data = ticket_job(small_layout(), code_page="CP858")
    assert data.startswith(ESC + b"@" + ESC + b"t\x13")
    assert b"TOTAL 2,00 \xd5" in data


def test_profile_without_euro_code_page_writes_eur():
    data = ticket_job(small_layout(), profile="simple")
    assert data.startswith(ESC + b"@" + ESC + b"t\x00")
    assert b"TOTAL 2,00 EUR" in data


def test_unknown_profile_or_code_page_is_a_config_error():
    with pytest.raises(DeviceConfigError) as err:
        ticket_job(small_layout(), profile="TM-NOPE")
    assert err.value.code == "unknown_printer_profile"
    with pytest.raises(DeviceConfigError):
        ticket_job(small_layout(), code_page="CP999")


def test_control_bytes_in_text_never_become_commands():
    data = ticket_job(small_layout(body=("evil\x1b@\x1dV\x00\x10\x14\x01line",)))
    job = decode(data)
    assert job.cuts == 1 and job.drawer_kicks == 0 and len(job.init_offsets) == 1
    assert "evil @ V    line" in job.lines


def test_ticket_reads_back_as_text_and_barcode():
    job = decode(ticket_job(small_layout()))
    assert job.lines == [
        "PMU", "Bar du Centre", "-" * 42, "R1C4 Vincennes", "Simple gagnant : 7", "-" * 42,
        "TOTAL 2,00 €", "", "0000 4200 0000 0171 2345 6780", "Job j-1",
    ]
    assert [(b.symbology, b.payload) for b in job.barcodes] == [("CODE128", CODE)]
    assert job.cuts == 1 and job.code_pages == ["CP1252"]
    total = job.styled[6]
    assert total.big and total.bold and total.align == "center"


def test_provisional_banner_is_big_at_top_and_bottom():
    job = decode(ticket_job(small_layout(banner="PROVISOIRE")))
    assert job.lines[0].strip() == "PROVISOIRE" and job.lines[-1].strip() == "PROVISOIRE"
    assert job.styled[0].big and job.styled[0].inverted and job.styled[-1].big


def test_reprint_adds_duplicata_even_to_a_provisional_ticket():
    job = decode(ticket_job(small_layout(banner="PROVISOIRE"), reprint=True))
    assert [line.strip() for line in job.lines[:2]] == ["PROVISOIRE", "DUPLICATA"]
    assert [line.strip() for line in job.lines[-2:]] == ["PROVISOIRE", "DUPLICATA"]


def test_long_lines_wrap_at_the_paper_width():
    long = "Chevaux : " + " - ".join(str(n) for n in range(1, 21))
    job = decode(ticket_job(small_layout(body=(long,), emphasis=("TOTAL DES MISES 1\u202f234,00 €",))))
    assert all(len(line) <= 42 for line in job.lines)
    body = job.lines[3:job.lines.index("-" * 42, 3)]
    assert len(body) > 1 and " ".join(body) == long
    big = [line.text for line in job.styled if line.big]
    assert big == ["TOTAL DES MISES", "1 234,00 €"]   # 21 columns when doubled; no split amount


def test_odd_length_code_ends_in_code_set_b():
    data = ticket_job(small_layout(code="12345"))
    assert GS + b"kI\x07{C\x0c\x22{B5" in data
    assert decode(data).barcodes[0].payload == "12345"


@pytest.mark.parametrize("code", ["160400000000000000000000", "000000000000000000001605",
                                  "111116201604160516161604"])
def test_code_never_carries_a_realtime_command_in_its_barcode_data(code):
    data = code128_data(code).encode()
    for danger in (b"\x10\x04", b"\x10\x05", b"\x10\x14"):
        assert danger not in data
    assert decode(ticket_job(small_layout(code=code))).barcodes[0].payload == code


@pytest.mark.parametrize("bad", [dict(code="12a4"), dict(code=""), dict(code="1" * 25),
                                 dict(code=1234), dict(header="PMU"), dict(body=("ok", 3)),
                                 dict(banner="  ")])
def test_malformed_layouts_are_refused(bad):
    with pytest.raises(InvalidTicketLayout) as err:
        small_layout(**bad)
    assert err.value.code == "invalid_ticket_layout" and err.value.message.startswith("Ticket mal formé")


def test_layout_accepts_lists_and_stays_hashable():
    layout = small_layout(header=["PMU"], body=["x"])
    assert layout.header == ("PMU",) and hash(layout)


def test_lines_job_for_till_reports():
    job = decode(lines_job("CAISSE DU 01/01", ["Ventes : 12,00 €", "Paiements : 3,50 €"]))
    assert job.lines == ["CAISSE DU 01/01", "-" * 42, "Ventes : 12,00 €", "Paiements : 3,50 €", "-" * 42]
    assert job.styled[0].big and job.cuts == 1 and not job.barcodes
