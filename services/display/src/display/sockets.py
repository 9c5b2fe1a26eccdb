"""The display's listening socket, bound here rather than by uvicorn so that every connection
inherits TCP_USER_TIMEOUT.

A board dropped for its send timeout is unsubscribed at once, but uvicorn closes its connection
only once the data already buffered is flushed, and a client that never reads never lets it:
the socket would stay open for as long as the client likes. With TCP_USER_TIMEOUT the kernel
closes a connection whose client has taken nothing (its window shut, or nothing acknowledged)
for that long (a shut window counts on recent Linux: the security test sees it on 6.18).
"""

import socket


def listening_socket(host: str, port: int, user_timeout_s: float) -> socket.socket:
    """Bound, not yet listening (uvicorn listens); `user_timeout_s` 0 leaves the system's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if user_timeout_s > 0 and hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux only
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(user_timeout_s * 1000))
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
