"""Local stand-ins for the outside services, started by the tests: an HTTP server that records
requests and answers from a script, for webhooks and the OpenAI-compatible API."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Recorder:
    """A local HTTP server: records each request, answers with the next scripted (status, body,
    headers, delay) or else with the default."""

    def __init__(self, default=(200, {"ok": True}, {}, 0.0)):
        self.requests: list[dict] = []
        self.script: list[tuple] = []
        self.default = default
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                recorder.requests.append({"path": self.path, "headers": headers, "body": body})
                status, payload, headers, delay = recorder.script.pop(0) if recorder.script else recorder.default
                if callable(payload):
                    payload = payload(json.loads(body))
                time.sleep(delay)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()
