"""What the terminal's services stand on: its SQLite file and the one owner of
each table, the link and sync client to the central server (with its TLS
context and its estimate of the server's clock), the shop's devices. Adapters
import no service: what they need from one (the scan feed) is handed to them
by terminal_app/bootstrap.py."""
