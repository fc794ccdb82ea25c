"""The web server's own safety headers on the pages (issue 7, point 3): a
Content-Security-Policy that allows only our own scripts and no framing of us, on every
page; and the API's answers are never cached nor sniffed."""
import pathlib

import pytest
import requests

from conftest import TOP

PAGES = sorted(p.name for p in (TOP / "htdocs").glob("*.html"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_the_policy(base_url, page):
    r = requests.get(f"{base_url}/{page}", timeout=30)
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_are_not_cached_or_sniffed(api):
    r = api.get("/api/mail/list")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"

