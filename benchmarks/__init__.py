"""wheelscan's benchmarks: one module per measurement, run together by `python -m benchmarks`.

They are not tests: they report figures and ratios measured side by side in one
run (absolute times on a shared machine are noise). tests/test_benchmarks_smoke.py
runs each at a tiny size only to show it still runs.
"""
