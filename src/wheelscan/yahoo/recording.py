"""`snapshot record`: a source that answers as usual and saves every options response.

Offline sources wrap their transport adapter (transports.RecordingTransport).
Live Yahoo goes through yfinance's curl_cffi session, so recording there is a
subclass of that session whose `request` saves the raw body of each options
response. Either way the bytes saved are the bytes yfinance parsed: nothing
reads Yahoo's JSON a second way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from curl_cffi import requests as curl_requests

from wheelscan.yahoo.source import YahooSource, make_source, with_status_recording
from wheelscan.yahoo.transports import RecordingTransport, SnapshotWriter, options_request


class RecordingCurlSession(curl_requests.Session):
    """yfinance's default kind of session, saving each 200 options response to `writer`."""

    def __init__(self, writer: SnapshotWriter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.writer = writer

    def request(self, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        response = super().request(method, url, *args, **kwargs)
        params = kwargs.get("params")
        query = urlencode(params) if isinstance(params, Mapping) else ""
        wanted = options_request(f"{url}?{query}" if query and "?" not in url else url)
        if wanted is not None and response.status_code == 200:
            self.writer.record(*wanted, response.content)
        return response


def recording_source(spec: str, directory: Path) -> tuple[YahooSource, SnapshotWriter]:
    """The source named by `spec`, recording its options responses into `directory`."""
    source = make_source(spec)
    writer = SnapshotWriter(directory)
    if source.transport is not None:
        return YahooSource(source.name, RecordingTransport(source.transport, writer)), writer
    source.session = with_status_recording(RecordingCurlSession(writer, impersonate="chrome"))
    return source, writer
