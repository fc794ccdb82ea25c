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



@pytest.mark.parametrize("page", [p for p in PAGES if p != "index.html"])
def test_every_page_answers_at_its_name_without_html(base_url, page):
    """The leveragers document says "Sign up at /register": every page answers at the name
    a person or a document would type, with the same page and the same policy; the .html
    name still works."""
    name = page[:-len(".html")]
    r = requests.get(f"{base_url}/{name}", timeout=30, allow_redirects=False)
    assert r.status_code == 200, (name, r.status_code)
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text == requests.get(f"{base_url}/{page}", timeout=30).text
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    q = requests.get(f"{base_url}/{name}?next=/inbox.html", timeout=30, allow_redirects=False)
    assert q.status_code == 200 and q.text == r.text


def test_a_name_that_is_no_page_is_still_404(base_url):
    assert requests.get(f"{base_url}/no-such-page", timeout=30).status_code == 404
