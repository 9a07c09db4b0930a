import pytest
from hypothesis import given
from hypothesis import strategies as st

from betting.errors import InvalidTicketCode
from betting.tickets import (
    damm_digit,
    group_code,
    make_ticket_code,
    parse_ticket_code,
    terminal_id,
    terminal_number,
    verify_ticket_code,
)

KEY = bytes.fromhex("11" * 32)


def test_damm_check_digit_of_the_reference_example():
    # Damm's published example: 572 -> check digit 4.
    assert damm_digit("572") == "4"
    assert damm_digit("5724") == "0"


def test_code_is_24_digits_with_terminal_and_sequence():
    code = make_ticket_code("T000042", 1234, KEY)
    assert len(code) == 24 and code.isdigit()
    assert code.startswith("000042" "000001234")
    ref = parse_ticket_code(code)
    assert (ref.terminal_id, ref.seq) == ("T000042", 1234)
    assert verify_ticket_code(ref, KEY)


def test_same_terminal_and_sequence_give_the_same_code_on_both_sides():
    assert make_ticket_code("T000007", 9, KEY) == make_ticket_code("T000007", 9, KEY)


def test_mac_refuses_a_code_made_with_another_key():
    ref = parse_ticket_code(make_ticket_code("T000042", 5, b"another key"))
    assert not verify_ticket_code(ref, KEY)


@given(st.integers(1, 999_999), st.integers(1, 10**9 - 1), st.integers(0, 23), st.integers(1, 9))
def test_any_single_mistyped_digit_is_caught_locally(number, seq, pos, delta):
    code = make_ticket_code(terminal_id(number), seq, KEY)
    wrong = code[:pos] + str((int(code[pos]) + delta) % 10) + code[pos + 1:]
    with pytest.raises(InvalidTicketCode):
        parse_ticket_code(wrong)


@given(st.integers(1, 999_999), st.integers(1, 10**9 - 1), st.integers(0, 22))
def test_any_swap_of_adjacent_digits_is_caught_locally(number, seq, pos):
    code = make_ticket_code(terminal_id(number), seq, KEY)
    if code[pos] == code[pos + 1]:
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2:]
    with pytest.raises(InvalidTicketCode):
        parse_ticket_code(swapped)


@pytest.mark.parametrize("text", ["", "abc", "1" * 23, "1" * 25, None, 12345, "１" * 24])
def test_malformed_codes_are_refused(text):
    with pytest.raises(InvalidTicketCode):
        parse_ticket_code(text)


def test_spaces_and_dashes_typed_by_the_clerk_are_ignored():
    code = make_ticket_code("T000042", 77, KEY)
    assert parse_ticket_code(group_code(code)).code == code
    assert parse_ticket_code(code[:12] + "-" + code[12:]).code == code


def test_terminal_ids():
    assert terminal_id(42) == "T000042"
    assert terminal_number("T000042") == 42
    with pytest.raises(ValueError):
        terminal_number("X42")
    with pytest.raises(ValueError):
        terminal_id(1_000_000)
