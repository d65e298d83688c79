"""Where a browser is sent back to after signing in or out: a page of this app, never another
site."""

from __future__ import annotations

import pytest

from commerce_dash.domain.return_to import local_path, return_address

PUBLIC = "http://127.0.0.1:3000"
HOME = "http://127.0.0.1:3000/"


def _back(to: str, *, public_url: str = PUBLIC, request_host: str = "127.0.0.1:8000") -> str:
    return return_address(to, public_url=public_url, request_host=request_host)


def test_a_path_of_this_site_is_kept_with_its_query() -> None:
    assert local_path("/orders?page=2") == "/orders?page=2"
    assert local_path("/") == "/"


@pytest.mark.parametrize("wanted", [
    "", "orders", "https://evil.example/", "//evil.example/", "/\\evil.example",
    "/a\r\nSet-Cookie: x=1", "/a\x00b", "/a\x7fb", "javascript:alert(1)",
])
def test_anything_a_browser_could_read_as_another_site_is_no_local_path(wanted: str) -> None:
    assert local_path(wanted) is None


def test_a_page_of_the_public_site_is_where_the_browser_goes_back() -> None:
    assert _back("http://127.0.0.1:3000/orders?page=2") == "http://127.0.0.1:3000/orders?page=2"
    assert _back("http://127.0.0.1:3000") == HOME


def test_in_development_a_page_on_the_host_the_request_came_to_is_allowed() -> None:
    # the pages on :3000 and the API on :8000 of one host
    assert _back("http://localhost:3000/cart", request_host="localhost:8000") == (
        "http://localhost:3000/cart")
    assert _back("http://[::1]:3000/cart", request_host="[::1]:8000") == "http://[::1]:3000/cart"


@pytest.mark.parametrize("to", [
    "https://evil.example/",
    "https://evil.example/orders",
    "http://127.0.0.1:3000@evil.example/",  # userinfo: the host is evil.example
    "//evil.example/",
    "/orders",  # no origin: the pages always send an absolute address
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://127.0.0.1:3000/",
    "http://127.0.0.1:3000//evil.example/",
    "http://127.0.0.1:3000/\\evil.example/",
    "http://127.0.0.1:99999/",  # not a port
    "",
])
def test_any_other_address_goes_home(to: str) -> None:
    assert _back(to) == HOME


def test_a_host_merely_containing_ours_goes_home() -> None:
    assert _back("http://127.0.0.1.evil.example:3000/") == HOME
    assert _back("https://shop.example.evil.example/", public_url="https://shop.example",
                 request_host="shop.example") == "https://shop.example/"


def test_home_is_the_public_url_with_one_slash() -> None:
    assert _back("https://evil.example/", public_url="https://shop.example/") == (
        "https://shop.example/")


def test_the_address_sent_back_never_carries_a_line_break() -> None:
    back = _back("http://127.0.0.1:3000/a\r\nSet-Cookie:%20x=1?b=\r\nc")
    assert "\r" not in back and "\n" not in back
    assert back.startswith("http://127.0.0.1:3000/")
