"""The terminal's entry points on 127.0.0.1: the shopkeeper's htmx pages, the
local JSON API and the guard in front of both. Each route hands one request to
a service built in `bootstrap.py` and renders its answer; nothing else lives here."""
