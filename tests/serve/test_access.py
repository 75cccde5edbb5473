"""Who may open the served dashboard: the token compare and the Origin rules."""

from __future__ import annotations

import pytest

from jobtui.serve.access import Origins, new_token, origin_of, served_url, token_matches


def test_tokens_are_fresh_long_and_url_safe() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) >= 32
        assert token.replace("-", "").replace("_", "").isalnum()


def test_token_compare() -> None:
    token = new_token()
    assert token_matches(token, token)
    assert not token_matches(None, token)
    assert not token_matches("", token)
    assert not token_matches(token[:-1], token)
    assert not token_matches(token + "x", token)
    assert not token_matches("é" + token[1:], token)  # non-ASCII input is no crash


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("HTTP://LocalHost:8765/", "http://localhost:8765"),
        ("http://example.org:80", "http://example.org"),
        ("https://example.org:443/x", "https://example.org"),
        ("http://[::1]:8765", "http://[::1]:8765"),
        ("http://host:notaport", ""),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_a_loopback_server_admits_every_loopback_name_on_its_port_only() -> None:
    origins = Origins("127.0.0.1", 8765)
    for name in ("127.0.0.1", "localhost", "[::1]"):
        assert origins.permits(f"http://{name}:8765", "127.0.0.1:8765")
    assert not origins.permits("http://127.0.0.1:8766", "127.0.0.1:8765")
    assert not origins.permits("https://127.0.0.1:8765", "127.0.0.1:8765")
    assert not origins.permits("http://evil.example", "127.0.0.1:8765")
    # A page rebinding its own name to 127.0.0.1 still shows its own name.
    assert not origins.permits("http://evil.example:8765", "evil.example:8765")
    assert not origins.permits("null", "127.0.0.1:8765")


def test_no_origin_is_a_script_not_a_browser_and_the_token_alone_decides() -> None:
    assert Origins("127.0.0.1", 8765).permits(None, "127.0.0.1:8765")


def test_a_server_on_one_address_admits_that_address() -> None:
    origins = Origins("192.0.2.7", 9000)
    assert origins.permits("http://192.0.2.7:9000", "192.0.2.7:9000")
    assert not origins.permits("http://localhost:9000", "localhost:9000")


def test_a_server_on_every_address_wants_the_origin_to_match_the_host() -> None:
    origins = Origins("0.0.0.0", 9000)
    assert origins.permits("http://dash.lan:9000", "dash.lan:9000")
    assert not origins.permits("http://evil.example", "dash.lan:9000")
    assert not origins.permits("http://dash.lan:9000", None)


def test_the_page_names_the_host_the_browser_used_when_admitted() -> None:
    origins = Origins("127.0.0.1", 8765)
    assert origins.page_host("localhost:8765") == "localhost:8765"
    assert origins.page_host("evil.example:8765") == "127.0.0.1:8765"
    assert Origins("::1", 8765).page_host(None) == "[::1]:8765"


def test_the_printed_url() -> None:
    assert served_url("127.0.0.1", 8765, "T") == "http://127.0.0.1:8765/?token=T"
    assert served_url("::1", 8765, "T") == "http://[::1]:8765/?token=T"
    assert served_url("0.0.0.0", 8765, "T") == "http://127.0.0.1:8765/?token=T"
