"""The central pool server: takes every bet, keeps the pools, tells every shop."""
