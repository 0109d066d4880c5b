#!/usr/bin/env python3
"""stalled.py: a subscriber that stops reading (test tool).

usage: stalled.py PORT PATH SECONDS
Connects to 127.0.0.1:PORT with a tiny receive buffer, sends GET PATH,
reads the response head, then reads nothing more for SECONDS (or until
the server closes), and prints how it ended: "closed" or "open".
"""
import select
import socket
import sys
import time

port, path, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n"
           % path).encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1)
    if not chunk:
        break
    head += chunk
print("head", head.split(b"\r\n")[0].decode(), flush=True)
# Stop reading: the server must cut us at its bound, not block on us.
deadline = time.time() + secs
state = "open"
while time.time() < deadline:
    time.sleep(0.2)
    # A closed connection shows as readable with an error or EOF once the
    # buffered data is gone; peek without consuming to tell.
    r, _, _ = select.select([s], [], [], 0)
    if r:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            data = s.recv(1 << 20, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (ConnectionResetError, BlockingIOError):
            data = None
        if data is None:
            state = "closed"
            break
print(state, flush=True)
