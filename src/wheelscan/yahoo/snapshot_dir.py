"""Whether a `snapshot:DIR` source can be opened: the directory exists and holds responses.

The file-system half of reading a source (`core.sources` parses the text). It
imports no yfinance, so a front end can refuse a bad `--source` in one line
before it loads the scan stack.
"""

from __future__ import annotations

from pathlib import Path

from wheelscan.core.sources import SourceKind, SourceSpec, SourceSpecError
from wheelscan.yahoo.snapshot_files import SnapshotFileError, load_snapshot_file


def snapshot_directory(spec: SourceSpec) -> Path:
    """The snapshot directory `spec` names, `~` expanded, checked by `check_snapshot_dir`."""
    if spec.kind is not SourceKind.SNAPSHOT or spec.directory is None:
        raise SourceSpecError(f"source {spec.text!r} is not a snapshot directory")
    try:
        directory = Path(spec.directory).expanduser()
    except RuntimeError as error:  # `~name` of a user that does not exist
        raise SourceSpecError(f"snapshot directory: {error}") from None
    check_snapshot_dir(directory)
    return directory


def check_source(spec: SourceSpec) -> None:
    """Refuse a source that cannot be opened (only a snapshot directory can be missing)."""
    if spec.kind is SourceKind.SNAPSHOT:
        snapshot_directory(spec)


def check_snapshot_dir(directory: Path) -> None:
    """A snapshot directory must exist and hold at least one readable JSON response.

    A hostile entry beside good ones is only its ticker's error (SPEC 1.2), so the
    check stops at the first good entry; with none, the first entry's problem is named.
    """
    if not directory.is_dir():
        raise SourceSpecError(f"snapshot directory {str(directory)!r} does not exist")
    names = sorted(path.name for path in directory.glob("*.json"))
    if not names:
        raise SourceSpecError(f"snapshot directory {str(directory)!r} holds no .json responses")
    problem = None
    for name in names:
        try:
            if load_snapshot_file(directory, name) is not None:
                return
        except SnapshotFileError as error:
            problem = problem or error
    raise SourceSpecError(
        f"snapshot directory {str(directory)!r} has no usable response: {problem}"
    )
