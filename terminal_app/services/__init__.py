"""What the terminal does: sell a bet, answer a scanned ticket, print once,
apply the offline rule, enrol, diagnose. Each service is given the table owners
and devices it uses (terminal_app/bootstrap.py), never the whole terminal."""
