"""Where wheelscan keeps its files: `$WHEELSCAN_HOME` if set, else the platform's dirs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "WHEELSCAN_HOME"
APP_NAME = "wheelscan"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    return home if home else Path(platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))


def log_dir() -> Path:
    home = _home()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME))


def yfinance_cache_dir() -> Path:
    """yfinance's own cookie and timezone caches, kept beside ours."""
    return cache_dir() / "yfinance"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the owner only (0700)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path
