"""uvicorn's HTTP/1.1 protocol with a deadline on a request's head (uvicorn has none, so a client that sends
headers a byte at a time, or never finishes them, would hold its connection forever) and a cap on open
connections and unparsable requests answered as every other refusal is (uvicorn answers them in plain text,
and its cap is one short)."""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from spectrogenre.server.errors import error_body
from spectrogenre.server.limits import too_many_connections


def with_head_timeout(seconds: float, *, max_connections: int) -> type[H11Protocol]:
    class HeadDeadlineProtocol(H11Protocol):
        """Closes a connection whose request line and headers have not all arrived `seconds` after it opened
        (or after the previous response on a kept-alive connection). A connection beyond `max_connections`
        open at once gets a JSON 503 with Retry-After to its request, and is closed."""

        head_timer = None

        def connection_made(self, transport):
            super().connection_made(transport)  # counted in self.connections from here
            if len(self.connections) > max_connections:
                self.app = too_many_connections
            self._arm()

        def handle_events(self):
            cycle = self.cycle
            super().handle_events()
            if self.cycle is not cycle:  # a new request's head was parsed
                self._disarm()

        def on_response_complete(self):
            cycle = self.cycle
            super().on_response_complete()  # may parse a pipelined request's head at once: then no deadline
            if self.cycle is cycle and not self.transport.is_closing():
                self._arm()

        def send_400_response(self, msg: str) -> None:
            """A request uvicorn cannot parse (a bad Content-Length, not HTTP) gets the API's JSON error shape."""
            body = error_body(400, f"malformed HTTP request: {msg.rstrip('.').lower()}")
            head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")]
            try:
                for event in (h11.Response(status_code=400, headers=head, reason=b"Bad Request"), h11.Data(data=body),
                              h11.EndOfMessage()):
                    self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:
                pass  # mid-answer to the request before (a 503 still sent, then closing): no second answer fits
            self.transport.close()

        def connection_lost(self, exc):
            self._disarm()
            super().connection_lost(exc)

        def _arm(self):
            self._disarm()
            self.head_timer = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self):
            if self.head_timer is not None:
                self.head_timer.cancel()
                self.head_timer = None

        def _too_slow(self):
            self.head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeadDeadlineProtocol
