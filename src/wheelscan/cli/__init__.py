"""Thin front ends: typer commands that call the engine and the store.

Command modules import heavy libraries (yfinance, pandas, textual) inside the
command functions only, so `status` and `results` start fast.
"""
