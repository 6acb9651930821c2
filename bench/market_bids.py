"""50 bidders race on one listing through the HTTP API on gunicorn; nothing may be lost or doubled.

Builds a private instance (embedded PostgreSQL, schema, demo village), opens one listing, registers
N transferees with deposits and API tokens, serves the app with gunicorn, and lets N threads bid as
fast as they can for the given seconds (each bids a little above the best price it has seen, so
many bids collide). Prints accepted bids per second, requests per second, p50/p99 latency, and
whether the bids in the database are exactly the bids acknowledged with 201 — next to the raw
limit measured in the same run: the same number of threads doing the bid's own SQL (lock the
listing row, insert the bid, update the listing) directly over the socket.

    .venv/bin/python bench/market_bids.py [--bidders 50] [--seconds 60] [--workers 2]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import discard_cluster, free_port, wait_for_port  # noqa: E402  (bench/common.py)


def prepare(url: str, bidders: int) -> tuple[int, list[str], int]:
    """Migrate, load the demo, open two listings (HTTP and raw), register bidders; return
    (http listing id, tokens, raw listing id)."""
    import sqlalchemy as sa

    from landrights import create_app, migrate
    from landrights.accounts import services as accounts
    from landrights.accounts.permissions import SYSTEM, Actor
    from landrights.demo import load_demo
    from landrights.extensions import db
    from landrights.market import services as market

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PASSWORD_METHOD": "pbkdf2:sha256:1"})
    migrate.upgrade(app.extensions["landrights.db"].engine)
    household = "220421101201010001"
    farmer = Actor(role="farmer", name="杨春林", household_code=household)
    officer = Actor(role="township_officer", name="officer", township_code="220421101")
    with app.app_context():
        session = db.session
        load_demo(session, hash_method="pbkdf2:sha256:1")
        codes = session.scalars(sa.text(
            "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
            "WHERE c.household_code = :h AND c.valid_to IS NULL ORDER BY 1"), {"h": household}).all()
        listings = [market.create_listing(session, farmer, household_code=household, parcel_codes=[code],
                                          mode="lease", term_start=date(2027, 1, 1),
                                          term_end=date(2028, 12, 31),
                                          reserve_price=Decimal("400"), payment_schedule="每年一次",
                                          land_use="grain") for code in codes[:2]]
        tokens = []
        for i in range(bidders):
            user = accounts.create_user(session, SYSTEM, username=f"bidder{i}", password="bench-password-1",
                                        role="transferee", display_name=f"合作社{i}",
                                        hash_method="pbkdf2:sha256:1")
            transferee = market.register_transferee(session, Actor.of(user), kind="cooperative",
                                                    name=f"合作社{i}", operating_capacity="农机 2 台")
            for listing in listings:
                market.record_deposit(session, officer, listing_id=listing.id, transferee_id=transferee.id,
                                      amount_yuan=Decimal("1000"), receipt=f"R{i}")
            tokens.append(accounts.issue_token(session, SYSTEM, f"bidder{i}"))
        session.commit()
        ids = [listing.id for listing in listings]
    app.extensions["landrights.db"].engine.dispose()
    return ids[0], tokens, ids[1]


class Board:
    """The best price any bidder has seen acknowledged (bidders aim just above it)."""

    def __init__(self):
        self.best = Decimal("400")
        self.lock = threading.Lock()

    def seen(self, price: Decimal) -> None:
        with self.lock:
            self.best = max(self.best, price)


def http_bidders(port: int, listing_id: int, tokens: list[str], seconds: float):
    board, stop = Board(), time.monotonic() + seconds
    results: list[tuple[int, float, str]] = []
    lock = threading.Lock()

    def run(token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        mine = []
        while time.monotonic() < stop:
            price = board.best + Decimal(random.randint(1, 300)) / 100
            body = json.dumps({"price": f"{price:.2f}"})
            t0 = time.perf_counter()
            conn.request("POST", f"/api/v1/listings/{listing_id}/bids", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((response.status, time.perf_counter() - t0, f"{price:.2f}"))
            if response.status == 201:
                board.seen(price)
            elif response.status in (409, 422):  # outbid: read the listing as a bidder's page would
                conn.request("GET", f"/api/v1/listings/{listing_id}", headers=headers)
                listing = json.loads(conn.getresponse().read())
                board.seen(Decimal(listing["best_price"] or "0"))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def raw_bidders(dsn: str, listing_id: int, threads_n: int, seconds: float) -> int:
    """The bid's own SQL by the same number of threads: lock the row, insert, update; commits/s."""
    import psycopg

    stop, counts = time.monotonic() + seconds, []

    def run(i: int) -> None:
        n = 0
        with psycopg.connect(dsn) as conn:
            while time.monotonic() < stop:
                with conn.transaction():
                    best = conn.execute("SELECT coalesce(best_price, reserve_price) FROM listings "
                                        "WHERE id = %s FOR UPDATE", (listing_id,)).fetchone()[0]
                    price = best + Decimal(random.randint(1, 300)) / 100
                    conn.execute("INSERT INTO bids (listing_id, transferee_id, price, placed_at) VALUES "
                                 "(%s, %s, %s, now())", (listing_id, i % 50 + 1, price))
                    conn.execute("UPDATE listings SET best_price = %s, bid_count = bid_count + 1 "
                                 "WHERE id = %s", (price, listing_id))
                n += 1
        counts.append(n)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads_n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bidders", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    from landrights.pg import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="landrights-bench-market-"))
    base.chmod(0o755)
    cluster = EmbeddedPostgres(base / "instance", log=lambda *_: None)
    cluster.start()
    gunicorn = None
    try:
        cluster.ensure_database("bench")
        url = cluster.url("bench")
        listing_id, tokens, raw_listing = prepare(url, args.bidders)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "CERTIFICATE_KEY": "bench",
               "LANDRIGHTS_INSTANCE": str(base / "instance")}
        gunicorn = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "--threads", str(args.threads), "-b",
             f"127.0.0.1:{port}", "--log-level", "warning", "landrights:create_app()"], env=env, cwd=ROOT)
        wait_for_port(port)
        started = time.monotonic()
        results = http_bidders(port, listing_id, tokens, args.seconds)
        elapsed = time.monotonic() - started
        _report(url, listing_id, results, elapsed, args)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        raw = raw_bidders(dsn, raw_listing, args.bidders, min(args.seconds, 20))
        raw_rate = raw / min(args.seconds, 20)
        accepted = sum(1 for s, _, _ in results if s == 201) / elapsed
        print(f"raw limit (the bid's SQL, {args.bidders} threads, no HTTP): {raw_rate:8.1f} bids/s   "
              f"ratio app/raw {accepted / raw_rate:.2f}")
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
        discard_cluster(cluster, base)


def _report(url: str, listing_id: int, results, elapsed: float, args) -> None:
    import sqlalchemy as sa

    acknowledged = sorted(p for s, _, p in results if s == 201)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = sorted(f"{p:.2f}" for p in conn.execute(
            sa.text("SELECT price FROM bids WHERE listing_id = :l"), {"l": listing_id}).scalars())
    engine.dispose()
    latencies = sorted(t for _, t, _ in results)
    codes: dict[int, int] = {}
    for status, _, _ in results:
        codes[status] = codes.get(status, 0) + 1
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    print(f"market bids: {args.bidders} bidders x {elapsed:.0f} s over HTTP (gunicorn {args.workers} "
          f"workers x {args.threads} threads), {date.today()}")
    print(f"  requests      : {len(results):8d}  ({len(results) / elapsed:.1f}/s)   statuses {codes}")
    print(f"  accepted bids : {len(acknowledged):8d}  ({len(acknowledged) / elapsed:.1f}/s)")
    print(f"  latency       : p50 {statistics.median(latencies) * 1000:.1f} ms   p99 {p99 * 1000:.1f} ms")
    same = stored == acknowledged and len(set(stored)) == len(stored)
    print(f"  in the database {len(stored)} bids = acknowledged {len(acknowledged)}; unique prices: "
          f"{len(set(stored)) == len(stored)} -> {'NOTHING LOST OR DOUBLED' if same else 'MISMATCH'}")


if __name__ == "__main__":
    main()
