"""Request limits in front of the API, as ASGI middleware: they act before the body is read, and while it
streams.

- a wrong method on an API path: 405 with Allow;
- a body over the limit: 413, from Content-Length once the body's first bytes name the file, or counted as it
  streams (any transfer encoding) the moment it passes the limit, with nothing kept beyond it;
- a body that does not arrive within body_timeout_s, arrives slower than min_upload_kb_s after
  upload_grace_s, or stops for upload_stall_s: 408 (a place in the admission below is held while the body
  arrives);
- more classifications in flight than workers + queue: 503 with Retry-After, before the body is read.
"""

from __future__ import annotations

import asyncio
import math
import time

from python_multipart.multipart import parse_options_header

from spectrogenre.server.errors import client_file_name, error_body, log_client_gone
from spectrogenre.server.settings import ServerSettings

# After a 413, the rest of the body is read and thrown away for this long before the connection
# closes: closing with unread data makes the kernel reset it, and clients lose the answer.
LINGER_S = 2.0


# A multipart body names its file in the head of its part, within its first bytes: enough of them are read,
# waiting at most this long, to name the file a 413 refuses.
NAME_BYTES = 16 << 10
NAME_WAIT_S = 1.0


class Admission:
    """Classifications in flight, at most `capacity`; an estimate of when the workers get through them."""

    def __init__(self, capacity: int, workers: int):
        self.capacity, self.workers, self.inside = capacity, workers, 0
        self.mean_seconds: float | None = None  # a classification's time on a worker (moving average); None: none yet

    def try_enter(self) -> bool:
        if self.inside >= self.capacity:
            return False
        self.inside += 1
        return True

    def leave(self) -> None:
        self.inside -= 1

    def served(self, seconds: float) -> None:
        """A classification took `seconds` on a worker. Only those count: a refusal that takes no time, or the
        time a request waited in the queue, would make the estimate far too short or count the queue twice."""
        self.mean_seconds = seconds if self.mean_seconds is None else 0.8 * self.mean_seconds + 0.2 * seconds

    def retry_after_s(self) -> int:
        """Seconds for the workers to classify every request inside, each taking the mean (1 s before any)."""
        return max(1, math.ceil((self.mean_seconds or 1.0) * self.inside / self.workers))


class _Refused(Exception):
    """The middleware has answered; the app's own answer is dropped."""


class RequestLimits:
    def __init__(self, app, *, settings: ServerSettings, admission: Admission, methods):
        """methods(path) -> the methods an API route allows at `path`, or None for no such route."""
        self.app, self.settings, self.admission, self.methods = app, settings, admission, methods

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        allowed = self.methods(scope["path"])
        if allowed and scope["method"] not in allowed:
            return await _answer(send, 405, f"{scope['method']} is not allowed here: use {', '.join(sorted(allowed))}",
                                 {"allow": ", ".join(sorted(allowed))})
        if scope["method"] != "POST":
            return await self.app(scope, receive, send)
        limit, headers = self.settings.max_upload_bytes, dict(scope["headers"])

        def named(problem: str, body_start: bytes) -> str:  # by the upload's file, where its name has arrived
            name = upload_name(headers.get(b"content-type", b""), body_start)
            return f"{name}: {problem}" if name else problem

        def too_large(body_start: bytes) -> str:
            return named(f"upload larger than {self.settings.max_upload_mb:g} MB", body_start)

        length = headers.get(b"content-length")
        if length and length.isdigit() and int(length) > limit:
            body_start, more = await _body_start(receive)
            return await _answer(send, 413, too_large(body_start), linger=receive if more else None)
        if not self.admission.try_enter():
            body_start, more = await _body_start(receive)  # its file named, as in every answer about an upload
            return await _answer(send, 503, named("busy: every worker and queue place is taken, try again shortly",
                                                  body_start),
                                 {"retry-after": str(self.admission.retry_after_s())}, linger=receive if more else None)
        started, received, answered, body_done = time.monotonic(), 0, False, False
        body_start = b""  # its first NAME_BYTES, to name the file if it runs over the limit
        deadline = started + self.settings.body_timeout_s
        rate = self.settings.min_upload_kb_s * 1000

        async def limited_receive():
            nonlocal received, answered, body_done, body_start
            if body_done:  # the deadlines are the body's; after it, only a disconnect can come (the app waits on it)
                return await receive()
            now = time.monotonic()
            too_slow_at = started + self.settings.upload_grace_s + received / rate  # the bytes so far run out then
            stalled_at = now + self.settings.upload_stall_s  # from the last bytes: a fast start then nothing
            try:
                message = await asyncio.wait_for(receive(),
                                                 timeout=max(0.0, min(deadline, too_slow_at, stalled_at) - now))
            except asyncio.TimeoutError:
                answered = True
                first = min(deadline, too_slow_at, stalled_at)
                await _answer(send, 408, named(
                    f"the upload did not arrive within {self.settings.body_timeout_s:g} s" if first == deadline else
                    f"the upload arrives slower than {self.settings.min_upload_kb_s:g} KB/s" if first == too_slow_at
                    else f"the upload stopped: no byte for {self.settings.upload_stall_s:g} s", body_start))
                raise _Refused from None
            if message["type"] == "http.disconnect":  # part way through its upload: the app's answer reaches no one
                log_client_gone(scope)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if len(body_start) < NAME_BYTES:
                    body_start += message.get("body", b"")[:NAME_BYTES - len(body_start)]
                if received > limit:
                    answered = True
                    await _answer(send, 413, too_large(body_start), linger=receive)
                    raise _Refused
                body_done = not message.get("more_body", False)
            return message

        async def guarded_send(message):
            if not answered:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _Refused:
            pass
        finally:
            self.admission.leave()


def upload_name(content_type: bytes, body_start: bytes) -> str | None:
    """The file name of the 'file' part of a multipart body, as its client knows it, from the body's first bytes;
    None where they do not hold that part's whole head."""
    boundary = parse_options_header(content_type)[1].get(b"boundary")
    if not boundary:
        return None
    for part in body_start.split(b"--" + boundary)[1:]:
        head, complete, _ = part.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n") if complete else ():
            field, _, value = line.partition(b":")
            if field.strip().lower() == b"content-disposition":
                options = parse_options_header(value.strip())[1]
                if options.get(b"name") == b"file" and b"filename" in options:
                    return client_file_name(options[b"filename"].decode("utf-8", "replace"))
    return None


async def _body_start(receive) -> tuple[bytes, bool]:
    """Up to NAME_BYTES of the body, waiting at most NAME_WAIT_S, and whether more of it is still to come."""
    start, more, until = b"", True, time.monotonic() + NAME_WAIT_S
    try:
        while more and len(start) < NAME_BYTES:
            message = await asyncio.wait_for(receive(), timeout=max(0.0, until - time.monotonic()))
            if message["type"] != "http.request":
                return start, False
            start, more = start + message.get("body", b""), message.get("more_body", False)
    except asyncio.TimeoutError:
        pass
    return start, more


async def too_many_connections(scope, receive, send) -> None:
    """The app a connection beyond --max-connections gets (protocol.py): a 503 like the queue's, then closed."""
    if scope["type"] == "http":
        await _answer(send, 503, "busy: the server has as many connections open as it allows (--max-connections), "
                                 "try again shortly", {"retry-after": "1"}, linger=receive)


async def _answer(send, status: int, detail: str, headers: dict[str, str] | None = None, *, linger=None) -> None:
    """A complete JSON error; with `linger` (the request's receive), the unread body is drained for up to
    LINGER_S before the response ends, so the client reads the whole answer."""
    body = error_body(status, detail)
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            *((k.encode(), v.encode()) for k, v in (headers or {}).items())]
    if linger is not None:
        head.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body, "more_body": linger is not None})
    if linger is not None:
        until = time.monotonic() + LINGER_S
        try:
            while (left := until - time.monotonic()) > 0:
                message = await asyncio.wait_for(linger(), timeout=left)
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
        except asyncio.TimeoutError:
            pass
        await send({"type": "http.response.body", "body": b"", "more_body": False})
