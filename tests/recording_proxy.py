"""A reverse proxy in front of one service that records every request passing through it (method,
path, Authorization header), for tests that check what travels between the services."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class RecordingProxy:
    def __init__(self, label: str, port: int, target_port: int):
        self.label, self.port, self.target = label, port, f"http://127.0.0.1:{target_port}"
        self.seen: list[tuple[str, str, str, str | None, str | None]] = []  # (label, method, path, authorization, user agent)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.seen.append((proxy.label, self.command, self.path, self.headers.get("Authorization"),
                                   self.headers.get("User-Agent")))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                try:
                    answer = requests.request(self.command, proxy.target + self.path, data=body, headers=headers,
                                              timeout=30, allow_redirects=False)
                except requests.RequestException:
                    self.send_error(502)
                    return
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
