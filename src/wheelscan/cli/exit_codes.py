"""Exit codes of SPEC 7."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    SCAN_FAILED = 1
    BAD_INPUT = 2
    LOCKED = 75
