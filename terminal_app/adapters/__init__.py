"""What the terminal's services stand on: its SQLite file and the one owner of
each table, the link and sync client to the central server, the shop's devices."""
