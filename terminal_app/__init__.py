"""The shop terminal: local htmx UI, outbox, sync client, printing."""
