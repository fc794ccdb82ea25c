"""Issue 11, point 7: the OpenAPI 3 document at /api/openapi.json against the routes.

Both ways: every (method, pattern) of every HTTP_ROUTE table in cgi-bin/*.c is in the
document, and every documented operation answers on the stack with something other than
the router's own 404 "Not found" (401, 400, 403 or a 404 naming a missing resource are
all fine: they come from a handler, so the route exists).
"""
import re

import pytest
import requests

from conftest import TOP

ROUTE_RE = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"\s*,')
TABLE_RE = re.compile(r'HTTP_ROUTE\s+\w+\[\]\s*=\s*\{(.*?)\n\};', re.S)
METHODS = {"get", "post", "put", "delete", "patch"}

# Operations with an effect a probe must not have (a free key is one per client address
# and hour, which other tests need): shown to exist by the 405 + Allow of another method.
NO_CALL = {("POST", "/api/v1/keys")}


def code_routes():
    routes = set()
    for src in sorted((TOP / "cgi-bin").glob("*.c")):
        for table in TABLE_RE.findall(src.read_text()):
            routes.update(ROUTE_RE.findall(table))
    return routes


def shape(path):
    """/api/mail/inbox/{email_address} -> /api/mail/inbox/{}: placeholders by position."""
    return re.sub(r"\{[^/}]+\}", "{}", path)


@pytest.fixture(scope="module")
def doc(base_url):
    r = requests.get(base_url + "/api/openapi.json", timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    return r.json()


def documented(doc):
    return {(m.upper(), path) for path, item in doc["paths"].items() for m in item if m in METHODS}


def test_is_openapi_3(doc):
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["Session"]["in"] == "cookie"
    err = doc["components"]["schemas"]["Error"]
    assert set(err["required"]) == {"error", "status"}
    for path, item in doc["paths"].items():
        for m, op in item.items():
            assert op.get("summary"), (m, path)
            assert op.get("responses"), (m, path)
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            assert names == re.findall(r"\{([^/}]+)\}", path), (m, path)


def test_every_route_is_documented(doc):
    routes = code_routes()
    assert len(routes) > 30, "the HTTP_ROUTE tables were not found"
    docs = {(m, shape(p)) for m, p in documented(doc)}
    missing = sorted(routes - docs)
    assert not missing, f"routes missing from openapi.json: {missing}"
    extra = sorted(docs - routes)
    assert not extra, f"openapi.json documents routes no binary serves: {extra}"


def test_every_documented_route_answers(doc, base_url, make_account, domain):
    api = make_account(balance="1")
    values = {"email": f"nobody-openapi@{domain}", "email_address": f"nobody-openapi@{domain}",
              "n": "0"}
    ops = sorted(documented(doc), key=lambda mp: mp == ("POST", "/api/account/key"))
    for method, path in ops:
        url = re.sub(r"\{([^/}]+)\}", lambda m: values.get(m.group(1), "999999999"), path)
        if (method, path) in NO_CALL:
            other = "DELETE" if method != "DELETE" else "GET"
            r = api.request(other, url)
            assert r.status_code == 405, (method, path, r.status_code, r.text)
            assert method in r.headers["Allow"].split(", ") or method in r.headers["Allow"], (method, path)
            continue
        kw = {"json": {}} if method in ("POST", "DELETE") else {}
        r = api.request(method, url, **kw)
        body = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
        unknown = r.status_code == 404 and body.get("error") == "Not found"
        assert not unknown and r.status_code != 405, (method, path, r.status_code, r.text[:200])
        assert r.status_code < 500, (method, path, r.status_code, r.text[:200])


def test_unknown_route_is_the_router_404(base_url):
    r = requests.get(base_url + "/api/no-such-route", timeout=30)
    assert r.status_code == 404 and r.json() == {"error": "Not found", "status": 404}
