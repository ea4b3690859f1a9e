"""The server itself bounds what one connection may cost (issue 25 item 6): a huge head is
refused before it is read, and a head or body that trickles in is cut off, over a real
`aeforecast serve` on a real port, with raw sockets (an HTTP client would not misbehave)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from support.live_server import serve_env

TIMEOUT_SECONDS = 1.5
HEAD_LIMIT = 16 * 1024


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    folder = tmp_path_factory.mktemp("limits")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
    env.update(AEF_DATABASE_URL=f"sqlite:///{folder / 'aeforecast.db'}",
               AEF_MAX_HEADER_BYTES=str(HEAD_LIMIT),
               AEF_REQUEST_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS))
    with serve_env(env, folder, until="/healthz") as url:
        parts = urlsplit(url)
        assert parts.hostname and parts.port
        yield parts.hostname, parts.port


def exchange(address: tuple[str, int], chunks: list[bytes], pause: float = 0) -> bytes:
    """Send `chunks` (pausing `pause` s before the last), then read until the server closes."""
    with socket.create_connection(address, timeout=10) as sock:
        try:
            for i, chunk in enumerate(chunks):
                if pause and i == len(chunks) - 1:
                    time.sleep(pause)
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused part-way, as it should be: read what it said
        received = b""
        try:
            while data := sock.recv(65536):
                received += data
        except ConnectionResetError:
            pass
        return received


def test_a_head_over_the_limit_is_431_before_it_is_read(address: tuple[str, int]) -> None:
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20)
    answer = exchange(address, [big[i:i + 65536] for i in range(0, len(big), 65536)])
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert f"exceed {HEAD_LIMIT} bytes".encode() in answer


def test_a_head_under_the_limit_is_served(address: tuple[str, int]) -> None:
    headers = {"X-Fine": "b" * (HEAD_LIMIT // 2)}
    response = httpx.get(f"http://{address[0]}:{address[1]}/healthz", headers=headers)
    assert response.status_code == 200


def test_a_large_body_is_not_mistaken_for_a_large_head(address: tuple[str, int]) -> None:
    """Head and body sent in one write arrive in the same reads: only the head counts (the fuzz
    run caught a 70 KB body answered 431)."""
    body = ("[" + ",".join(['{"date": "2001-01-01", "attendances": 1}'] * 6000) + "]").encode()
    head = (b"POST /v1/trusts/RXX/attendances HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Authorization: Bearer aef_x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    answer = exchange(address, [head + body])
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]  # past the server, to the app


def test_a_head_that_trickles_in_is_cut_off(address: tuple[str, int]) -> None:
    started = time.monotonic()
    answer = exchange(address, [b"GET /healthz HTTP/1.1\r\nHost: x\r\n"], pause=0)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert TIMEOUT_SECONDS - 0.2 < time.monotonic() - started < TIMEOUT_SECONDS + 5


def test_a_body_that_trickles_in_is_cut_off(address: tuple[str, int]) -> None:
    head = (b"POST /v1/trusts/RXX/attendances HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    started = time.monotonic()
    answer = exchange(address, [head, b"[{"])  # returns once the server closes
    assert time.monotonic() - started < TIMEOUT_SECONDS + 5
    assert answer.startswith((b"HTTP/1.1 408 ", b"HTTP/1.1 401 ")), answer[:200]


def test_a_prompt_client_on_the_same_server_is_unaffected(address: tuple[str, int]) -> None:
    for _ in range(3):
        response = httpx.get(f"http://{address[0]}:{address[1]}/healthz")
        assert response.status_code == 200
