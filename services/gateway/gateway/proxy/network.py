"""Forwarding over the network with aiohttp's client; in-process upstreams keep httpx.

httpx cost about 1.1–1.3 ms of CPU per forwarded request on this project's machine (its
models, and httpcore's pool checking every idle connection's socket per request); aiohttp's
session, with its C parser, about 0.2 ms for the same small GET (session 6, docs/BENCHMARKS.md).
The embedded mode and most tests forward through in-process httpx transports, which aiohttp has
no equivalent of, so both give the forwarding code one shape: an `Answer`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import aiohttp
import httpx
from yarl import URL

# Below uvicorn's 5 s keep-alive, so an idle connection is given up here before the service
# closes it under a request that was just sent on it.
KEEPALIVE_SECONDS = 4.0
# httpx's default pool size, which the gateway had before.
MAX_CONNECTIONS = 100
# Never generated here: the caller's own headers go through as they came, and nothing else.
NOT_GENERATED = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


class Answer(Protocol):
    """An upstream's response as forwarding needs it, from either client."""

    @property
    def status_code(self) -> int: ...

    @property
    def raw_headers(self) -> Sequence[tuple[bytes, bytes]]: ...

    def header(self, name: str) -> str | None: ...

    def aiter_raw(self) -> AsyncIterator[bytes]: ...

    async def read_raw(self) -> bytes:
        """The whole body as received (not decompressed)."""
        ...

    async def aclose(self) -> None: ...


class HttpxAnswer:
    __slots__ = ("response",)

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def raw_headers(self) -> Sequence[tuple[bytes, bytes]]:
        return self.response.headers.raw

    def header(self, name: str) -> str | None:
        value: str | None = self.response.headers.get(name)
        return value

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self.response.aiter_raw()

    async def read_raw(self) -> bytes:
        return b"".join([chunk async for chunk in self.response.aiter_raw()])

    async def aclose(self) -> None:
        await self.response.aclose()


class NetworkAnswer:
    __slots__ = ("response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    @property
    def status_code(self) -> int:
        return self.response.status

    @property
    def raw_headers(self) -> Sequence[tuple[bytes, bytes]]:
        return self.response.raw_headers

    def header(self, name: str) -> str | None:
        return self.response.headers.get(name)

    def aiter_raw(self) -> AsyncIterator[bytes]:
        # De-chunked, never decompressed (the session's auto_decompress=False): as httpx's raw.
        return self.response.content.iter_any()

    async def read_raw(self) -> bytes:
        return await self.response.read()

    async def aclose(self) -> None:
        # Back to the pool when the body was read whole; closed otherwise.
        self.response.release()


class Network:
    """One upstream's connection pool over the network."""

    def __init__(self, url: str, *, timeout_seconds: float, connect_timeout_seconds: float) -> None:
        self.base = url.rstrip("/")
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS
            ),
            # A proxy must never keep one caller's cookies and send them for another.
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=NOT_GENERATED,
            # As the httpx client's Timeout(timeout, connect=connect): each read and the wait
            # for a pooled connection bounded by the policy's timeout, the TCP connect by its own.
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=timeout_seconds,
                sock_connect=connect_timeout_seconds,
                sock_read=timeout_seconds,
            ),
        )

    async def open(
        self, method: str, path: str, query: bytes, headers: Sequence[tuple[str, str]], body: bytes
    ) -> NetworkAnswer:
        """`path` and `query` exactly as the caller sent them: never re-quoted or normalised."""
        target = f"{self.base}{path}?{query.decode('latin-1')}" if query else self.base + path
        response = await self.session.request(
            method,
            URL(target, encoded=True),
            headers=headers,
            data=body or None,
            allow_redirects=False,
        )
        return NetworkAnswer(response)

    async def aclose(self) -> None:
        await self.session.close()
