#!/usr/bin/env python3
# sseserver.py: a scripted, misbehaving SSE server for ssecat's tests.
#
# usage: sseserver.py [--log FILE] [--lifetime SECONDS] SCENARIO
#
# Listens on 127.0.0.1, on a port the kernel picks, and prints that port
# alone on the first line of stdout.  The Nth request gets the Nth step of
# SCENARIO (see SCENARIOS below); requests past the last step get 204, so
# that a client ends cleanly.  Each request appends one line to the log:
# its path, its Last-Event-ID header and its Authorization header,
# separated by tabs ("-" for a header that is absent).  The
# server exits by itself after --lifetime seconds (default 30).
#
# Standard library only: CI installs nothing but python3 for it.

import argparse
import os
import socket
import socketserver
import sys
import threading
import time

SSE = "text/event-stream"


def step(status=200, body=b"", ctype=SSE, headers=(), bytewise=False,
         stall=0.0):
    """One response: status, headers, then body (bytes, or a list of
    chunks each sent on its own); bytewise sends one byte per write;
    stall holds the connection open, silent, for that many seconds before
    it is closed.  A stream has no Content-Length: closing ends it."""
    chunks = body if isinstance(body, list) else [body]
    return {"status": status, "chunks": chunks, "ctype": ctype,
            "headers": list(headers), "bytewise": bytewise, "stall": stall}


def error(status, message, headers=()):
    body = ('{"status":"error","code":"E%d","message":"%s"}'
            % (status, message)).encode()
    return step(status, body, "application/json", headers)


def redirect(status, location):
    return step(status, b"", "text/plain", [("Location", location)])


# The frames of the "split" scenario: every line end, a BOM, comments,
# a field without colon, multi-line data, UTF-8 both good and bad.
SPLIT = (b"\xef\xbb\xbfretry: 50\r\n"
         b": a comment\r\n"
         b"id: 1\r\ndata: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\r\n\r\n"
         b"id: 2\rdata: first\rdata: second\r\r"
         b"id: 3\nevent: kind\ndata\ndata: x\n\n"
         b"id: 4\ndata: bad \xff \xc3( \xe2\x82 end\n\n"
         b"id: 5\ndata:  two spaces\n\n")

# The stream of the "flood" scenario: far more than a pipe holds.
FLOOD = b"retry: 50\n" + (b"data: " + b"x" * 2000 + b"\n\n") * 500

SCENARIOS = {
    # A stream cut in the middle of its second event, then resumed.
    "cut": [
        step(body=[b"retry: 50\n\nid: 1\ndata: one\n\n",
                   b"id: 2\ndata: tw"]),
        step(body=b"id: 2\ndata: two\n\nid: 3\ndata: three\n\n"),
    ],
    # retry: changes, seen by --json.
    "retry": [
        step(body=b"retry: 50\nid: a\ndata: x\n\n"),
        step(body=b"retry: 50\nid: b\ndata: y\n\nretry: 70\n\n"
                  b"id: c\ndata: z\n\n"),
    ],
    # Two 500s, then a stream.
    "500": [
        error(500, "database on fire"),
        error(500, "database on fire"),
        step(body=b"retry: 50\nid: 7\ndata: back\n\n"),
    ],
    # A 429 as ssed sends it: an SSE error event as the body.
    "429": [
        step(429, b'event: error\ndata: {"code":"RATE_LIMIT_EXCEEDED",'
                  b'"message":"too many streams","request_id":"r1"}\n\n',
             headers=[("Retry-After", "0")]),
        step(body=b"retry: 50\nid: 8\ndata: admitted\n\n"),
    ],
    "204": [],
    # Every redirect status, each followed by libcurl.
    "redirect": [
        redirect(301, "/r302"),
        redirect(302, "/r307"),
        redirect(307, "/r308"),
        redirect(308, "/stream"),
        step(body=b"retry: 50\nid: 9\ndata: arrived\n\n"),
    ],
    # A redirect loop: bounded.
    "loop": [redirect(302, "/loop")] * 20,
    # A stream that goes silent without closing.
    "stall": [
        step(body=b"retry: 50\nid: 10\ndata: before\n\n", stall=10),
        step(body=b"id: 11\ndata: after\n\n"),
    ],
    "ctype": [step(body=b"<html></html>\n", ctype="text/html")],
    "401": [error(401, "token expired",
                  [("WWW-Authenticate", "Bearer")])],
    "404": [error(404, "no such topic")],
    # The same frames in one write, then one byte per write.
    "split": [step(body=SPLIT), step(body=SPLIT, bytewise=True)],
    # Accepts, then hangs up at once, again and again.
    "empty": [step(body=b"retry: 50\n\n")] * 20,
    # A retry: past every integer type, again and again.
    "hugeretry": [step(body=b"retry: 99999999999999999999\n"
                            b"id: 1\ndata: x\n\n")] * 200,
    # The last block ends with a lone CR, then the stream closes.
    "lonecr": [step(body=b"retry: 50\nid: 1\ndata: x\r\r")],
    # Escape sequences where --data-json's note quotes the server.
    "escapes": [step(body=b"retry: 50\nevent: \x1b[31mred\n"
                          b"data: \x1b[2J\n\n")],
    # More output than a stalled reader of stdout takes in.
    "flood": [step(body=FLOOD, stall=10)],
    # One event block past ssecat's 64 MiB bound, in 1 MiB chunks.
    "huge": [step(body=[b"retry: 50\ndata: "] + [b"x" * (1 << 20)] * 65
                  + [b"\n\n"])],
    # Typed events, JSON and not, for --types, --data-json, --until.
    "typed": [
        step(body=b"retry: 50\n"
                  b"id: 1\nevent: ping\ndata: {}\n\n"
                  b"id: 2\nevent: build\ndata: { \"n\": 1, \"ok\": true }\n\n"
                  b"id: 3\nevent: build\ndata: not json\n\n"
                  b"id: 4\nevent: ping\ndata: {}\n\n"
                  b"id: 5\nevent: build\ndata: [1, 2]\n\n"
                  b"id: 6\nevent: done\ndata: \"bye\"\n\n"
                  b"id: 7\nevent: build\ndata: {\"n\": 7}\n\n"),
    ],
}

REASONS = {200: "OK", 204: "No Content", 301: "Moved Permanently",
           302: "Found", 307: "Temporary Redirect",
           308: "Permanent Redirect", 401: "Unauthorized",
           404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error"}


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, scenario, log):
        super().__init__(("127.0.0.1", 0), Handler)
        self.steps = SCENARIOS[scenario]
        self.log = log
        self.count = 0
        self.lock = threading.Lock()

    def next_step(self, path, last_id, auth):
        with self.lock:
            n = self.count
            self.count += 1
            if self.log is not None:
                with open(self.log, "a") as f:
                    f.write("%s\t%s\t%s\n" % (path, last_id, auth))
        return self.steps[n] if n < len(self.steps) else step(204)


class Handler(socketserver.BaseRequestHandler):
    def read_head(self):
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.request.recv(4096)
            if not chunk:
                return None
            buf += chunk
        lines = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1] if " " in lines[0] else "?"
        found = {"last-event-id": "-", "authorization": "-"}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() in found:
                found[name.strip().lower()] = value.strip()
        return path, found["last-event-id"], found["authorization"]

    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = self.read_head()
        if head is None:
            return
        st = self.server.next_step(*head)
        body = b"".join(st["chunks"])
        hdrs = ["HTTP/1.1 %d %s" % (st["status"],
                                    REASONS.get(st["status"], "Status")),
                "Connection: close"]
        if st["status"] != 204:
            hdrs.append("Content-Type: " + st["ctype"])
        if st["ctype"] != SSE and st["status"] != 204:
            hdrs.append("Content-Length: %d" % len(body))
        hdrs += ["%s: %s" % h for h in st["headers"]]
        try:
            sock.sendall(("\r\n".join(hdrs) + "\r\n\r\n").encode())
            if st["bytewise"]:
                for i in range(len(body)):
                    sock.sendall(body[i:i + 1])
                    time.sleep(0.001)
            else:
                for chunk in st["chunks"]:
                    sock.sendall(chunk)
                    time.sleep(0.05)
            if st["stall"]:
                time.sleep(st["stall"])
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description="scripted SSE server")
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=30.0)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    args = ap.parse_args()
    srv = Server(args.scenario, args.log)
    print(srv.server_address[1], flush=True)
    timer = threading.Timer(args.lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
