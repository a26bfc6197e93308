"""The API's limits hold at the server, before anything is buffered:
waitress answers a body or headers over them itself, at once, while the
client has sent nothing more than its headers."""

from __future__ import annotations

import socket

import pytest
from api_harness import TOKENS, Api

from zerodown.compute.api.request import MAX_BODY
from zerodown.compute.api.server import MAX_HEADERS


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("limits")
    api = Api(workdir, f"sqlite:///{workdir}/compute.db")
    with api.served() as client:
        yield client.port
    api.close()


def _exchange(port, head, body=b"", timeout=10.0):
    """Send the request's head (and ``body``), then read the answer
    until the server closes or ``timeout`` passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks).decode("latin-1")


def _head(length, extra=""):
    return (
        "POST /flavors HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\n"
        f"X-Auth-Token: {TOKENS['admin']}\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


@pytest.mark.parametrize("length", [MAX_BODY + 1, 10 * 2**20, 10**15])
def test_a_body_over_the_limit_is_refused_before_it_is_sent(port, length):
    # Only the head goes out: the answer must not wait for the body.
    # (Left to its 1 GiB default, waitress waited for all of it.)
    answer = _exchange(port, _head(length))
    assert answer.startswith("HTTP/1.1 413 Request Entity Too Large"), answer


def test_a_chunked_body_is_cut_off_at_the_limit(port):
    chunk = b"%x\r\n%s\r\n" % (8192, b" " * 8192)
    head = _head(0).replace(
        b"Content-Length: 0\r\n", b"Transfer-Encoding: chunked\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        sent = 0
        # Never the terminating chunk: waitress must stop on its own.
        while sent <= 2 * MAX_BODY:
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 8192
        answer = s.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer


def test_a_body_at_the_limit_reaches_the_api(port):
    answer = _exchange(port, _head(MAX_BODY), b" " * MAX_BODY)
    assert answer.startswith("HTTP/1.1 400 Bad Request"), answer
    assert "X-Request-Id" in answer  # the API's own answer, not waitress's


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "+5", " 5 5"])
def test_a_bad_content_length_is_a_400(port, length):
    answer = _exchange(port, _head(length))
    assert answer.startswith("HTTP/1.1 400 Bad Request"), answer


def test_headers_over_the_limit_are_refused(port):
    padding = f"X-Padding: {'p' * MAX_HEADERS}\r\n"
    answer = _exchange(port, _head(0, padding))
    # waitress stops reading at the limit and answers as HTTP/1.0.
    assert answer.split()[1] == "431", answer
    # The server is still there for the next client.
    answer = _exchange(
        port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith("HTTP/1.1 200 OK"), answer
