#!/usr/bin/env python3
"""fuzz.py: bounded, seeded garbage for ssed's two fronts (test tool).
(kick is left out: the test keeps one subscriber streaming throughout.)

usage: fuzz.py http PORT COUNT SEED | fuzz.py ctl SOCKET COUNT SEED
Sends COUNT connections of random or half-broken requests (HTTP) or
frames (control socket), reading whatever comes back; prints "done".
Only 127.0.0.1 and the given Unix socket are used.
"""
import random
import socket
import struct
import sys

mode, where, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)


def junk(lo, hi):
    return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(lo, hi)))


def talk(sock, data):
    try:
        sock.settimeout(0.05)
        sock.sendall(data)
        try:
            sock.recv(65536)
        except OSError:
            pass
    finally:
        sock.close()


PATHS = ["/sse/updates/a", "/sse/notify/a", "/sse/updates?topic=a&topic=b",
         "/api/v1/client/events?user=u&types=notification", "/healthz",
         "/metrics", "/x", "/sse/updates/%00", "/sse/updates?topic="]
METHODS = ["GET", "POST", "PUT", "OPTIONS", "HEAD", "DELETE", "GE", "\x00\x01"]
HEADERS = ["Last-Event-ID: 1-1", "Last-Event-ID: zzz", "Content-Length: 5",
           "Content-Length: -1", "Transfer-Encoding: chunked", "Origin: x",
           "Authorization: Bearer abc.def.ghi", "X: " + "a" * 9000]


def http_one():
    if rnd.random() < 0.3:
        return junk(1, 300)
    head = "\r\n".join(rnd.sample(HEADERS, rnd.randint(0, 3)))
    data = ("%s %s HTTP/1.%d\r\nHost: x\r\n%s\r\n\r\n%s" % (
        rnd.choice(METHODS), rnd.choice(PATHS), rnd.randint(0, 1), head,
        "hello" if rnd.random() < 0.5 else "")).encode("latin1")
    if rnd.random() < 0.3:
        data = data[:rnd.randint(1, len(data))]
    return data


def s(x):
    x = x.encode()
    return bytes([0xa0 | len(x)]) + x


OPS = ["publish", "list", "stats", "version", "topics", "history",
       "show", "nope"]
KEYS = ["topic", "data", "events", "ids", "user", "reason", "action", "name",
        "since", "limit", "id", "event"]
VALS = [b"\xc0", b"\x01", b"\xcf" + b"\xff" * 8, s("x"), s("a b"), b"\x90",
        b"\x91\x01", b"\x91" + s("t"), b"\x80", b"\xc3", b"\xd9\x05hello"]


def ctl_one():
    n = rnd.randint(0, 5)
    body = bytes([0x80 | (n + 3)]) + s("v") + b"\x01" + s("op") + \
        s(rnd.choice(OPS)) + s("seq") + b"\x07"
    for _ in range(n):
        body += s(rnd.choice(KEYS)) + rnd.choice(VALS)
    if rnd.random() < 0.2:
        body = junk(1, 40)
    frame = struct.pack(">I", len(body)) + body
    if rnd.random() < 0.1:
        frame = frame[:rnd.randint(1, len(frame))]
    return frame


for _ in range(count):
    try:
        if mode == "http":
            talk(socket.create_connection(("127.0.0.1", int(where)), timeout=1),
                 http_one())
        else:
            c = socket.socket(socket.AF_UNIX)
            c.connect(where)
            talk(c, ctl_one())
    except OSError:
        pass
print("done")
