"""A minimal asyncio HTTP/1.1 client over raw sockets, small and cheap enough for load generation.

It keeps a connection alive while the server allows it and reconnects when the server closes it
(gunicorn's sync workers close after every response). Responses must carry Content-Length, which
every Flask response that is not streamed does."""
import asyncio
import json


def build_request(method: str, host: str, port: int, path: str, body: bytes = b"",
                  headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_request(method: str, host: str, port: int, path: str, payload: dict,
                 headers: dict[str, str] | None = None) -> bytes:
    return build_request(method, host, port, path, json.dumps(payload).encode(),
                         {"Content-Type": "application/json", **(headers or {})})


class Connection:
    """One client connection to host:port; `send` a prebuilt request, get (status, body)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        reused = self.writer is not None
        try:
            return await self._exchange(request)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            if not reused:
                raise
        return await self._exchange(request)  # the server had closed an idle keep-alive connection

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status, length, close = _parse_head(head)
        body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    length, close = None, version == "HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value.strip().lower() == "close"
    if length is None:
        raise ValueError("response without Content-Length")
    return int(status), length, close
