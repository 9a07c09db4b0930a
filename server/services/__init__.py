"""The server's service layer: each function takes a unit of work and speaks in
domain terms (a bet taken, a ticket paid, a race settled); the store behind it is
chosen in server/store.py, the wire and HTTP shapes in server/web/."""
