#!/usr/bin/python3
"""tests/bench/wait_latency.py — make bench: how soon a waiting inbox read answers.

    wait_latency.py BASE_URL API_KEY SMTP_HOST:PORT COUNT

COUNT times: a fresh address (POST /api/mail/generate), a GET /api/mail/inbox/{address}?wait=30
started in a thread, one message sent through SMTP once the read waits; the latency is from
smtplib's sendmail() returning (the end of the SMTP transaction) to the HTTP answer. The
milter stores the message before Postfix answers the end of DATA, so it may be negative.
Prints "BENCH_WAIT p50_ms max_ms count" (count: reads that answered with the message)."""
import json
import smtplib
import statistics
import sys
import threading
import time
import urllib.request


def request(base, key, method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def main():
    base, key, smtp, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    host, port = smtp.rsplit(":", 1)
    latencies = []
    for i in range(count):
        address = request(base, key, "POST", "/api/mail/generate", {})["email"]
        answer = {}

        def read():
            got = request(base, key, "GET", f"/api/mail/inbox/{address}?wait=30")
            answer["at"], answer["emails"] = time.monotonic(), got["emails"]

        reader = threading.Thread(target=read)
        reader.start()
        time.sleep(0.3)                 # the read is waiting by now
        with smtplib.SMTP(host, int(port), timeout=30) as s:
            s.sendmail("sender@example.org", [address],
                       f"From: sender@example.org\r\nTo: {address}\r\nSubject: wait {i}\r\n\r\nhello\r\n")
        sent = time.monotonic()
        reader.join(60)
        if len(answer.get("emails", [])) == 1:
            latencies.append((answer["at"] - sent) * 1000)
    if not latencies:
        print("BENCH_WAIT - - 0")
        return
    print(f"BENCH_WAIT {statistics.median(latencies):.1f} {max(latencies):.1f} {len(latencies)}")


if __name__ == "__main__":
    main()
