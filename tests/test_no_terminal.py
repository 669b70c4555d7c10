"""The terminal app without a terminal (issue 13, #12): a bare `wheelscan` from cron or
a pipe refuses with one line and exit 2 instead of running unseen until killed."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

REFUSAL = "wheelscan: error: the terminal app needs a terminal"


def run_without_terminal(*args: str, stdout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wheelscan", *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


@pytest.mark.parametrize("args", [[], ["tui"], ["tui", "--source", "demo"]])
def test_the_app_refuses_to_run_without_a_terminal(wheelscan_home: Path, args: list[str]) -> None:
    done = run_without_terminal(*args, stdout=subprocess.PIPE)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(REFUSAL)
    assert done.stdout == ""


def test_a_terminal_on_stdout_alone_is_not_enough(wheelscan_home: Path) -> None:
    leader, follower = pty.openpty()
    try:
        done = run_without_terminal("tui", "--source", "demo", stdout=follower)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert done.stderr.startswith(REFUSAL)


def test_bad_input_is_still_named_first(wheelscan_home: Path) -> None:
    done = run_without_terminal("tui", "--source", "nowhere", stdout=subprocess.PIPE)
    assert done.returncode == 2
    assert "unknown source 'nowhere'" in done.stderr and REFUSAL not in done.stderr
