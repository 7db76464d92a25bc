#!/usr/bin/env python3
"""Wait until a Kafka broker answers a real Metadata request listing at least one broker.

A listening port is not a ready broker: KRaft opens its sockets before the broker has
registered with the controller and been unfenced. Standard library only, so that
deploy/kafka/kafka.sh can use it before any project virtualenv exists.

Exit status: 0 ready, 1 timed out, 2 the broker process (--pid) exited.
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import time

API_VERSIONS, METADATA = 18, 3


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str | None:
        length = self.take(">h")
        if length < 0:
            return None
        self.pos += length
        return self.data[self.pos - length : self.pos].decode()


def call(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> Reader:
    """Send one request (header v1) and return a reader positioned after the response header v0."""
    client_id = b"yunying-wait-ready"
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    request = header + body
    sock.sendall(struct.pack(">i", len(request)) + request)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    reader = Reader(recv_exact(sock, size))
    if reader.take(">i") != corr:
        raise RuntimeError("correlation id mismatch")
    return reader


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return buf


def broker_count(host: str, port: int) -> int:
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.settimeout(5)
        # ApiVersions v0: empty body. Tells us which Metadata versions this broker accepts
        # (Kafka 4.0 dropped some old ones), so pick the lowest non-flexible one we can encode.
        r = call(sock, API_VERSIONS, 0, 1, b"")
        error = r.take(">h")
        if error:
            raise RuntimeError(f"ApiVersions error code {error}")
        ranges = {}
        for _ in range(r.take(">i")):
            key, low, high = r.take(">h"), r.take(">h"), r.take(">h")
            ranges[key] = (low, high)
        low, high = ranges.get(METADATA, (99, -1))
        version = max(low, 1)
        if version > min(high, 8):
            raise RuntimeError(f"no supported Metadata version (broker offers {low}-{high})")

        body = struct.pack(">i", -1)  # topics: null = all topics (v1+)
        if version >= 4:
            body += b"\x00"  # allow_auto_topic_creation = false
        if version >= 8:
            body += b"\x00\x00"  # include cluster/topic authorized operations = false
        r = call(sock, METADATA, version, 2, body)
        if version >= 3:
            r.take(">i")  # throttle_time_ms
        count = r.take(">i")
        for _ in range(count):  # node_id, host, port, rack: read to validate the frame
            r.take(">i"), r.string(), r.take(">i"), r.string()
        return count


def alive(pid: int) -> bool:
    # The broker may be our caller's child: once dead it stays a zombie until reaped.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19092)
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--pid", type=int, help="give up early if this process exits")
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout
    last_error = "no attempt made"
    while time.monotonic() < deadline:
        if args.pid and not alive(args.pid):
            print(f"wait_ready: broker process {args.pid} exited", file=sys.stderr)
            return 2
        try:
            count = broker_count(args.host, args.port)
            if count >= 1:
                return 0
            last_error = "metadata lists no broker yet"
        except (OSError, RuntimeError, struct.error) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.5)
    print(
        f"wait_ready: {args.host}:{args.port} not ready after {args.timeout:.0f}s ({last_error})",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
