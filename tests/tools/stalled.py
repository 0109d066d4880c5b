#!/usr/bin/env python3
"""stalled.py: a subscriber that stops reading (test tool).

usage: stalled.py PORT PATH SECONDS
Connects to 127.0.0.1:PORT with a tiny receive buffer, sends GET PATH,
reads the response head and prints its status line ("head HTTP/1.1 200
OK"), then reads nothing more for SECONDS and exits.
"""
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
time.sleep(secs)
