"""`snapshot record`: a source that answers as usual and saves every options response,
the fundamentals-timeseries answers the FCF valuation asked for and the quoteSummary
answers the ex-dividend lookup asked for.

Offline sources wrap their transport adapter (transports.RecordingTransport).
Live Yahoo goes through yfinance's own session, so recording there wraps that
session's `get` (the one call yfinance makes requests through) to save the raw
body of each options response. Either way the bytes saved are the bytes yfinance
parsed: nothing reads Yahoo's JSON a second way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from wheelscan.yahoo.source import YahooSource, make_source
from wheelscan.yahoo.transports import (
    RecordingTransport,
    SnapshotWriter,
    options_request,
)


def with_recording(session: Any, writer: SnapshotWriter) -> Any:
    """Wrap `session.get` to save each 200 options (fundamentals, quoteSummary) response's
    raw body to `writer`."""
    plain_get = session.get

    def get(url: str, *args: Any, **kwargs: Any) -> Any:
        response = plain_get(url, *args, **kwargs)
        params = kwargs.get("params")
        query = urlencode(params) if isinstance(params, Mapping) else ""
        wanted = options_request(f"{url}?{query}" if query and "?" not in url else url)
        if response.status_code != 200:
            return response
        if wanted is not None:
            writer.record(*wanted, response.content)
        else:
            writer.record_other(url, response.content)
        return response

    session.get = get
    return session


def recording_source(spec: str, directory: Path) -> tuple[YahooSource, SnapshotWriter]:
    """The source named by `spec`, recording its responses into `directory`."""
    source = make_source(spec)
    writer = SnapshotWriter(directory)
    if source.transport is not None:
        return YahooSource(source.name, RecordingTransport(source.transport, writer)), writer
    source.session = with_recording(source.session, writer)
    return source, writer
