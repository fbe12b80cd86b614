"""A local HTTP server that plays the ECB rates feed: a real-format document, a malformed one,
a huge one, a hanging one, or none at all (stopped)."""

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.log_secrets import with_credentials

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" \
xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
\t<Cube>
{days}
\t</Cube>
</gesmes:Envelope>
"""

DAY_RATES = {
    "USD": "1.0573",
    "JPY": "162.88",
    "CZK": "25.305",
    "DKK": "7.4589",
    "GBP": "0.83188",
    "HUF": "410.83",
    "PLN": "4.3253",
    "RON": "4.9764",
    "SEK": "11.5760",
    "CHF": "0.9412",
    "ISK": "145.70",
    "NOK": "11.7040",
    "TRY": "36.6560",
    "AUD": "1.6233",
    "BRL": "6.1487",
    "CAD": "1.4789",
    "CNY": "7.6637",
    "HKD": "8.2311",
    "IDR": "16821.53",
    "ILS": "3.8812",
    "INR": "89.3095",
    "KRW": "1476.97",
    "MXN": "21.6084",
    "MYR": "4.7161",
    "NZD": "1.8187",
    "PHP": "62.368",
    "SGD": "1.4185",
    "THB": "36.435",
    "ZAR": "19.1530",
}


def ecb_document(days: dict[str, dict[str, str]] | None = None) -> bytes:
    """An envelope in the ECB format, one `Cube time=...` per day."""
    days = days or {"2026-11-24": DAY_RATES}
    cubes = "\n".join(
        f"\t\t<Cube time='{day}'>\n"
        + "\n".join(f"\t\t\t<Cube currency='{c}' rate='{r}'/>" for c, r in rates.items())
        + "\n\t\t</Cube>"
        for day, rates in days.items()
    )
    return ENVELOPE.format(days=cubes).encode()


class FeedServer:
    """`body` is what GET answers (`send_length` False: without Content-Length, until the
    connection closes); `hang` makes it never answer; `status` is its HTTP status;
    `location` answers 302 to there instead."""

    def __init__(self) -> None:
        self.body = ecb_document()
        self.content_type = "application/xml"
        self.status = 200
        self.hang = False
        self.send_length = True
        self.requests = 0
        self.location: str | None = None
        self._released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if server.hang:
                    server._released.wait(30)
                    return
                if server.location is not None:
                    self.send_response(302)
                    self.send_header("Location", server.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(server.status)
                self.send_header("Content-Type", server.content_type)
                if server.send_length:
                    self.send_header("Content-Length", str(len(server.body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                # The client may stop reading: that is what a size limit does.
                with contextlib.suppress(OSError):
                    self.wfile.write(server.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def public_url(self) -> str:
        """The feed as /rates names it: no credentials, no query."""
        return f"http://127.0.0.1:{self.port}/eurofxref-daily.xml"

    @property
    def url(self) -> str:
        """The feed as configured: with credentials and an API key in the query, as a paid
        feed's is, so every test that serves it also proves they reach no log line."""
        return with_credentials(self.public_url)

    def start(self) -> "FeedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._http.shutdown()
        self._http.server_close()


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


def json_document(base: str, day: str, rates: dict[str, str]) -> bytes:
    """The openexchangerates/Frankfurter shape, numbers written as JSON numbers."""
    quoted = ", ".join(f'"{code}": {rate}' for code, rate in rates.items())
    return f'{{"base": "{base}", "date": "{day}", "rates": {{{quoted}}}}}'.encode()


def dead_url() -> str:
    """A URL on which nothing listens: the feed is down."""
    with feed_server() as server:
        url = server.url
    return url
