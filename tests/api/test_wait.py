"""Issue 11, point 1: wait for mail (wait=N on the inbox routes of both dialects).

A waiting request sleeps on the milter's arrival signal (lib/arrival.c), not on a database
poll, and answers as soon as matching mail is committed; each route process serves several
requests at once (lib/http.c), so waiters do not stall the other requests of their route.
The tests assert behaviour, not speed: a waiter answers with the mail long before its own
wait= deadline (woken by the arrival, not by its timer), a wait that times out has waited the
asked seconds, and other requests are answered while waiters still wait. How fast the answer
comes (from smtplib's sendmail() returning to the HTTP answer) is printed here and measured by
make bench; the milter stores the message before Postfix answers the end of DATA, so the
answer may even come first (a negative latency)."""
import concurrent.futures
import datetime
import time
import uuid
from urllib.parse import quote

import pytest
import requests

from conftest import send_mail

WAIT = 60       # seconds a waiter may wait: it must be woken long before that
WOKEN = 30      # an answer before this many seconds came from the arrival, not the timer


def leveragers_inbox(api, address, **params):
    return api.get(f"/api/mail/inbox/{quote(address, safe='@')}", params=params)


def aurelion_by_path(api, address, **params):
    return api.get(f"/api/v1/inboxes/{quote(address, safe='@')}/messages", params=params)


def aurelion_by_query(api, address, **params):
    return api.get("/api/v1/messages", params={"recipient": address, **params})


ROUTES = {"leveragers": (leveragers_inbox, "emails", "received_at"),
          "aurelion-path": (aurelion_by_path, "messages", "created_at"),
          "aurelion-query": (aurelion_by_query, "messages", "created_at")}


@pytest.fixture
def account(make_account):
    api = make_account(balance="5")
    return api


def new_address(api):
    r = api.post("/api/mail/generate", json={})
    assert r.status_code == 201, r.text
    return r.json()["email"]


def wait_and_send(smtp_addr, read, address, subject, settle=0.5, **params):
    """Start read(address, wait=WAIT, **params) in a thread, send one message once it waits;
    return (response, seconds from sendmail()'s return to the response). The waiter must
    answer before WOKEN seconds: woken by the arrival, not at its WAIT deadline."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        future = pool.submit(lambda: (read(address, wait=WAIT, **params), time.monotonic()))
        time.sleep(settle)
        assert not future.done(), "the request answered before any mail was sent"
        assert send_mail(smtp_addr, "sender@example.com", [address], subject=subject) == {}
        sent = time.monotonic()
        r, answered = future.result(timeout=WAIT + 30)
    assert answered - started < WOKEN, "the waiter was not woken by the arrival"
    return r, answered - sent


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_wait_is_woken_by_the_arrival(account, smtp_addr, route):
    read, field, _ = ROUTES[route]
    address = new_address(account)
    subject = f"wait {uuid.uuid4()}"
    r, latency = wait_and_send(smtp_addr, lambda a, **p: read(account, a, **p), address,
                               subject)
    print(f"\n{route}: answered {latency * 1000:.0f} ms after sendmail() returned")
    assert r.status_code == 200, r.text
    messages = r.json()[field]
    assert [m["subject"] for m in messages] == [subject]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_wait_with_since_waits_for_a_newer_message(account, smtp_addr, route):
    read, field, stamp = ROUTES[route]
    address = new_address(account)
    assert send_mail(smtp_addr, "sender@example.com", [address], subject="first") == {}
    r = read(account, address, wait=20)             # the first is there (or comes): no waiting
    assert r.status_code == 200 and len(r.json()[field]) == 1, r.text
    since = r.json()[field][0][stamp]
    if route == "leveragers":
        # Its times are whole seconds: "since" the first's second would list the first again.
        first = datetime.datetime.fromisoformat(since.replace("Z", "+00:00"))
        since = (first + datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        time.sleep(1.1)

    subject = f"second {uuid.uuid4()}"
    r, _ = wait_and_send(smtp_addr, lambda a, **p: read(account, a, **p), address,
                         subject, since=since)
    assert r.status_code == 200, r.text
    assert [m["subject"] for m in r.json()[field]] == [subject]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_wait_times_out_with_an_empty_list(account, route):
    read, field, _ = ROUTES[route]
    address = new_address(account)
    started = time.monotonic()
    r = read(account, address, wait=2)
    took = time.monotonic() - started
    assert r.status_code == 200, r.text
    assert r.json() == {field: []}
    assert took >= 1.9, f"answered after {took:.1f} s of a 2 s wait"


def test_wait_returns_at_once_when_mail_is_already_there(account, smtp_addr):
    address = new_address(account)
    assert send_mail(smtp_addr, "sender@example.com", [address], subject="there") == {}
    assert len(leveragers_inbox(account, address, wait=20).json()["emails"]) == 1
    started = time.monotonic()
    r = leveragers_inbox(account, address, wait=WAIT)
    assert r.status_code == 200 and len(r.json()["emails"]) == 1
    assert time.monotonic() - started < WOKEN, "it waited although the mail was there"


def test_mail_for_another_address_does_not_end_the_wait(account, smtp_addr):
    address, other = new_address(account), new_address(account)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(leveragers_inbox, account, address, wait=3)
        time.sleep(0.5)
        assert send_mail(smtp_addr, "sender@example.com", [other], subject="not yours") == {}
        r = future.result(timeout=30)
    assert r.status_code == 200 and r.json() == {"emails": []}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("bad", ["0", "61", "-1", "abc", "", "1.5", "99999999999999999999"])
def test_wait_out_of_range_is_400(account, route, bad):
    read, _, _ = ROUTES[route]
    address = new_address(account)
    r = read(account, address, wait=bad)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == 400 and "wait" in r.json()["error"]


def test_waiters_do_not_block_other_requests_of_their_route(account, make_account):
    """Four waiters on mail.fcgi (two processes in the stack), and still a normal request of
    the same binary is answered while they wait."""
    others = [make_account(balance="1") for _ in range(4)]
    addresses = [new_address(a) for a in others]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        started = time.monotonic()
        waiters = [pool.submit(leveragers_inbox, a, addr, wait=6)
                   for a, addr in zip(others, addresses)]
        time.sleep(1)
        for _ in range(3):
            r = account.get("/api/mail/list")
            assert r.status_code == 200, r.text
            r = account.get(f"/api/mail/inbox/{addresses[0]}")
            assert r.status_code == 404     # someone else's: answered, not queued
        # Answered while the waiters still wait: not queued behind them.
        assert not any(w.done() for w in waiters), "a waiter ended early"
        for w in waiters:
            assert w.result(timeout=30).json() == {"emails": []}
        assert time.monotonic() - started >= 5.9


def test_abandoned_waiters_do_not_starve_the_route(base_url, account):
    """Clients that give up on a wait (time out and hang up). lighttpd does not tell a FastCGI
    backend that its client left, so each keeps its worker until its deadline; with
    http_threads workers a process (16 by default, two processes in the stack) a dozen of them
    still leave the route answering."""
    address = new_address(account)

    def abandon():
        try:
            requests.get(f"{base_url}/api/mail/inbox/{address}", params={"wait": 8},
                         headers={"X-API-KEY": account.key}, timeout=0.5)
        except requests.exceptions.Timeout:
            return True
        return False

    abandoned_at = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        assert all(pool.map(lambda _: abandon(), range(12)))
    for _ in range(3):
        r = account.get("/api/mail/list")
        assert r.status_code == 200, r.text
    # Answered while the abandoned waits (8 s) still hold their workers, not after them.
    assert time.monotonic() - abandoned_at < 8, "the route answered only once the waits ended"
