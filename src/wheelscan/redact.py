"""Masks Yahoo's crumb and cookie values wherever text leaves the process (errors, logs)."""

from __future__ import annotations

import re

_SECRET = re.compile(r"(?i)\b(crumb|cookie|set-cookie|a1|a3|b)=([^&\s;,'\")]+)")


def redact(text: str) -> str:
    """`crumb=abc&x=1` → `crumb=***&x=1`; the same for cookie values."""
    return _SECRET.sub(lambda m: f"{m.group(1)}=***", text)
