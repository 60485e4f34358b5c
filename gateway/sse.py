"""An incremental Server-Sent Events parser for vendor streams (WHATWG HTML, "event stream").

`SSEParser.feed(chunk)` takes the bytes as they arrive from the network and returns the events
completed by them; `close()` is called once at the end of the body. Lines may end in `\\n`,
`\\r\\n` or `\\r` (even split across chunks), a UTF-8 character may straddle two chunks (lines
are decoded only once complete), `:` lines are comments, `data:` lines of one event are joined
with `\\n`, `event:` names the event, `id:`/`retry:` and unknown fields are ignored.

Truncation is an error, not an event: `close()` raises `ProviderError` (502
`bad_upstream_response`) when the body ended in the middle of a line — a half-sent JSON payload
must never reach a translator as if it were whole. An event whose lines all arrived but whose
closing blank line did not is still dispatched by `close()` (the payload itself is complete).
A line or an event larger than `max_event_bytes` raises the same error, so a misbehaving
upstream cannot make the gateway buffer without bound.
"""
from __future__ import annotations

from gateway.providers.base import SSEEvent, bad_upstream_response

DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024


class SSEParser:
    __slots__ = ("_max", "_partial", "_skip_lf", "_data", "_data_size", "_event")

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES):
        self._max = max_event_bytes
        self._partial = b""  # the unterminated tail of the last chunk (never contains \r or \n)
        self._skip_lf = False  # the last chunk ended in \r: a \n opening the next one ends no line
        self._data: list[bytes] = []
        self._data_size = 0
        self._event = b""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
                if not chunk:
                    return []
        buffer = self._partial + chunk if self._partial else chunk
        if b"\r" in buffer:
            self._skip_lf = buffer[-1] == 0x0D
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > self._max:
            raise bad_upstream_response("The provider sent an oversized stream line.")
        events: list[SSEEvent] = []
        for line in lines:
            self._line(line, events)
        return events

    def close(self) -> list[SSEEvent]:
        """End of body: the last event if its blank line is missing; raises if a line was cut."""
        if self._partial:
            self._partial = b""
            raise bad_upstream_response("The provider's stream ended in the middle of an event.")
        events: list[SSEEvent] = []
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        if not line:
            if self._data:
                data = b"\n".join(self._data).decode("utf-8", "replace")
                events.append(SSEEvent(data=data, event=self._event.decode("utf-8", "replace")))
                self._data = []
                self._data_size = 0
            self._event = b""
            return
        if line.startswith(b"data: "):  # the common case, without the general field split
            name, value = b"data", line[6:]
        elif line[0] == 0x3A:  # ":" comment, e.g. keep-alives
            return
        else:
            name, colon, value = line.partition(b":")
            if colon and value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._data_size += len(value) + 1
            if self._data_size > self._max:
                raise bad_upstream_response("The provider sent an oversized stream event.")
            self._data.append(value)
        elif name == b"event":
            self._event = value
