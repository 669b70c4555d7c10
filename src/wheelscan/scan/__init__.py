"""Running scans: the async engine (`engine`), one scan's whole life (`job`), the
thread that keeps its lock and progress (`keeper`), and the stop signal they share
(`stop`). Importing this package loads nothing; `stop` is light, the others load
the Yahoo source."""
