"""Guichet: the command line and the locations of the shared web assets."""
