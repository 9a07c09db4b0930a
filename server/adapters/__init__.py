"""The stores behind the server's unit of work: one module per kind of store,
each holding all of that store's SQL (server/store.py picks one by URL)."""
