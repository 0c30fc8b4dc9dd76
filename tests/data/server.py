"""A file server on the loopback address for fetch tests: real HTTP, no network beyond this
machine. Serves ``files`` (path -> bytes); a path under ``/truncated/`` promises more bytes than
it sends; it counts the requests per path."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Served:
    def __init__(self, base: str, files: dict[str, bytes], requests: Counter) -> None:
        self.base, self.files, self.requests = base, files, requests

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve(files: dict[str, bytes]) -> Iterator[Served]:
    requests: Counter = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            requests[self.path] += 1
            data = files.get(self.path)
            if data is None:
                self.send_error(404)
                return
            self.send_response(200)
            promised = len(data) * 2 if self.path.startswith("/truncated/") else len(data)
            self.send_header("Content-Length", str(promised))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}", files, requests)
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url(path: str = "/x") -> str:
    """A loopback URL where nothing listens: the connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
