"""The betting domain, shared by the central server and the terminal.

Pure Python and the standard library only: no I/O, no clock, no globals that
change, no import of `server`, `terminal_app` or `device_drivers`. Every
function takes what it needs as arguments (a race card, a time, a key) and
returns values or raises a named `BettingError`, so both sides make exactly
the same decision from the same inputs. See README.md in this folder.
"""
