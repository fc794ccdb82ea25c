"""Issue 11, point 4: search of one's own messages by sender, subject and body text
(GET /api/mail/search, MariaDB FULLTEXT from sql/migrations/003_message_search.sql; on the
visible text of HTML bodies, not their markup, since 007_search_html_text.sql)."""
import smtplib
import uuid

import pytest

from conftest import send_mail, sql, wait_for

INBOX_FIELDS = {"id", "from", "from_name", "subject", "body", "html", "received_at", "links", "codes"}


def new_address(api):
    r = api.post("/api/mail/generate", json={})
    assert r.status_code == 201, r.text
    return r.json()["email"]


def search(api, **params):
    return api.get("/api/mail/search", params=params)


def deliver(api, smtp_addr, address, sender, subject, body):
    assert send_mail(smtp_addr, sender, [address], subject=subject, body=body) == {}
    got = wait_for(lambda: any(m["subject"] == subject for m in
                               api.get(f"/api/mail/inbox/{address}").json()["emails"]))
    assert got, f"{subject!r} never reached {address}"


@pytest.fixture
def two_accounts(make_account, smtp_addr):
    """Two accounts whose mail shares a word; each message marked with a fresh token."""
    tag = uuid.uuid4().hex[:10]
    alice, bob = make_account(balance="2"), make_account(balance="2")
    a1, a2, b1 = new_address(alice), new_address(alice), new_address(bob)
    deliver(alice, smtp_addr, a1, f"news-{tag}@shop.example", f"Welcome {tag} aboard",
            "Thanks for joining.")
    deliver(alice, smtp_addr, a2, "noreply@bank.example", "Statement ready",
            f"Your statement {tag} is ready. Reference invoice{tag}.")
    deliver(bob, smtp_addr, b1, f"news-{tag}@shop.example", f"Welcome {tag} aboard",
            "Bob's copy.")
    return tag, alice, bob, (a1, a2, b1)


def test_search_by_subject_body_and_sender_newest_first(two_accounts):
    tag, alice, _, (a1, a2, _) = two_accounts
    r = search(alice, q=tag)
    assert r.status_code == 200, r.text
    found = r.json()["emails"]
    # Both of alice's (subject of one, body of the other), the newer first; not bob's.
    assert [m["email_address"] for m in found] == [a2, a1]
    assert set(found[0]) == INBOX_FIELDS | {"email_address"}
    assert found[0]["received_at"] >= found[1]["received_at"]

    assert [m["subject"] for m in search(alice, q="statement").json()["emails"]
            if m["email_address"] in (a1, a2)] == ["Statement ready"]
    # By sender address (a phrase of its parts) and by a word's prefix.
    by_sender = search(alice, q=f"news-{tag}@shop.example").json()["emails"]
    assert [m["email_address"] for m in by_sender] == [a1]
    assert [m["email_address"] for m in search(alice, q=f"invoice{tag[:4]}").json()["emails"]
            if m["email_address"] in (a1, a2)] == [a2]
    # Every word must match.
    assert search(alice, q=f"{tag} thanks").json()["emails"][0]["email_address"] == a1
    assert search(alice, q=f"{tag} nosuchwordanywhere").json()["emails"] == []


def test_search_only_sees_the_callers_messages(two_accounts):
    tag, alice, bob, (a1, a2, b1) = two_accounts
    found = search(bob, q=tag).json()["emails"]
    assert [m["email_address"] for m in found] == [b1]
    assert found[0]["body"].strip() == "Bob's copy."
    # Naming someone else's address finds nothing, rather than their mail.
    assert search(bob, q=tag, address=a1).json()["emails"] == []


def test_search_within_one_address(two_accounts):
    tag, alice, _, (a1, a2, _) = two_accounts
    found = search(alice, q=tag, address=a2.upper()).json()["emails"]
    assert [m["email_address"] for m in found] == [a2]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "a b"}, {"q": "!!"},
                                    {"q": "word", "address": "not-an-address"},
                                    {"q": "word", "page": "0"}, {"q": "x" * 300}])
def test_search_bad_requests_are_400(api, params):
    r = search(api, **params)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == 400 and r.json()["error"]


def test_search_syntax_characters_are_words_not_operators(api):
    for q in ['"unbalanced', "+-*~<>()@", "word*) OR (1=1", "'; DROP TABLE messages; --"]:
        r = search(api, q=q + " zzzqqq")
        assert r.status_code == 200, (q, r.text)
        assert r.json()["emails"] == []


def test_search_needs_a_key(base_url):
    import requests
    r = requests.get(base_url + "/api/mail/search", params={"q": "hello"}, timeout=30)
    assert r.status_code == 401


def test_search_reads_html_as_shown_not_its_markup(api, smtp_addr):
    address, tag = new_address(api), uuid.uuid4().hex[:10]
    html = (f'<html><head><style>.wrapper{tag}a {{ font-family: Helvetica }}</style></head>'
            f'<body><table class="wrapper{tag}b" style="padding:0">'
            f'<tr><td>Caf&eacute; order {tag}c is ready &amp; waiting</td></tr></table>'
            f'<!-- tracking{tag}d --><script>var secret{tag}e = 1;</script></body></html>')
    msg = (f"From: shop@example.com\r\nTo: {address}\r\nSubject: HTML only\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html)
    with smtplib.SMTP(*smtp_addr, timeout=30) as s:
        s.sendmail("shop@example.com", [address], msg)
    assert wait_for(lambda: api.get(f"/api/mail/inbox/{address}").json()["emails"])

    def hits(q):
        return len(search(api, q=q, address=address).json()["emails"])

    # What a reader sees is found, references decoded ("Caf&eacute;" is "Café").
    assert hits(f"{tag}c") == 1 and hits(f"{tag}c waiting") == 1 and hits(f"{tag}c café") == 1
    # Class names, styles, comments and scripts are not words of the message.
    for hidden in (f"wrapper{tag}a", f"wrapper{tag}b", f"tracking{tag}d", f"secret{tag}e"):
        assert hits(hidden) == 0, hidden
    # The message itself is unchanged: the API still gives its HTML as sent.
    [m] = api.get(f"/api/mail/inbox/{address}").json()["emails"]
    assert f'class="wrapper{tag}b"' in m["html"]


def test_an_html_part_that_repeats_the_text_is_searched_through_the_text(api, smtp_addr):
    """multipart/alternative: the html shows the text part's words again, so the index takes
    them once (html_text stays empty: the FULLTEXT index is most of capture's database time);
    an html with a word of its own is indexed, and that word is found."""
    tag = uuid.uuid4().hex[:10]
    same, more = new_address(api), new_address(api)

    def alternative(to, html_extra):
        text = f"Hello Ann,\r\nyour order {tag}a is ready. Track it at https://shop.example/t/{tag}\r\n"
        html = (f"<html><body><p>Hello <b>Ann</b>,</p><p>Your order {tag}a is ready.</p>"
                f"<p><a href='https://shop.example/t/{tag}'>Track it</a> at "
                f"https://shop.example/t/{tag}{html_extra}</p></body></html>")
        return (f"From: shop@example.com\r\nTo: {to}\r\nSubject: Order {tag}\r\nMIME-Version: 1.0\r\n"
                f"Content-Type: multipart/alternative; boundary=b{tag}\r\n\r\n"
                f"--b{tag}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
                f"--b{tag}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b{tag}--\r\n")

    with smtplib.SMTP(*smtp_addr, timeout=30) as s:
        s.sendmail("shop@example.com", [same], alternative(same, ""))
        s.sendmail("shop@example.com", [more], alternative(more, f" or call desk{tag}b"))
    for address in (same, more):
        assert wait_for(lambda: api.get(f"/api/mail/inbox/{address}").json()["emails"])

    def hits(q, address):
        return len(search(api, q=q, address=address).json()["emails"])

    for address in (same, more):
        assert hits(f"{tag}a", address) == 1 and hits(f"{tag}a ready ann", address) == 1
    assert hits(f"desk{tag}b", more) == 1 and hits(f"desk{tag}b", same) == 0
    html_text = {address: sql(f"SELECT m.html_text FROM messages m JOIN mailboxes b"
                              f" ON b.id = m.mailbox_id WHERE b.address = '{address}'")
                 for address in (same, more)}
    assert html_text[same] == [[""]]
    assert f"desk{tag}b" in html_text[more][0][0]
    # The API still gives the html as sent.
    [m] = api.get(f"/api/mail/inbox/{same}").json()["emails"]
    assert "<b>Ann</b>" in m["html"]
