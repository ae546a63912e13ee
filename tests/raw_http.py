"""A partner's node that answers raw HTTP as a test says, on a port of this machine: for answers no
real server gives (a key document that is no object, a status line and then a header a byte at a time)."""
import socket
import threading
import time
from typing import Callable


def raw_server(answer: Callable[[socket.socket], None]) -> tuple[socket.socket, str]:
    """(listening socket, base URL); each connection's request is read, then `answer(connection)`, in a
    thread of its own. Close the socket to stop it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=reply, args=(conn,), daemon=True).start()

    def reply(conn):
        with conn:
            try:
                conn.recv(65536)
                answer(conn)
            except OSError:
                pass
    threading.Thread(target=serve, daemon=True).start()
    return server, f"http://127.0.0.1:{server.getsockname()[1]}"


def trickling(status: bytes = b"200 OK", every: float = 0.3, times: int = 30) -> Callable[[socket.socket], None]:
    """An answer that sends its status line, then a header a byte every `every` seconds, `times` times."""
    def answer(conn):
        conn.sendall(b"HTTP/1.1 " + status + b"\r\nX-Slow: ")
        for _ in range(times):
            conn.sendall(b"a")
            time.sleep(every)
    return answer
