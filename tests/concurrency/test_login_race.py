"""Guesses sent at once at one user name from one address are counted one after another (the
throttle rows are locked until each attempt commits): no more than LOGIN_MAX_FAILURES of them get
their password checked against the account before the lock holds."""
from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from landrights.accounts import login
from landrights.errors import TooManyAttempts, Unauthenticated

GUESSES = 12


def test_parallel_guesses_get_no_more_tries_than_the_limit(scratch_db):
    policy = login.Policy(max_failures=5, account_max_failures=50, password_method="pbkdf2:sha256:1")
    barrier = threading.Barrier(GUESSES)
    answers: list[str] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        with Session(scratch_db) as session:
            barrier.wait(timeout=10)
            try:
                login.authenticate(session, "farmer", f"wrong-guess-{n}", source="203.0.113.9",
                                   policy=policy)
                outcome = "accepted"
            except Unauthenticated:
                outcome = "wrong"
            except TooManyAttempts:
                outcome = "locked"
            session.commit()
        with lock:
            answers.append(outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers) == ["locked"] * (GUESSES - 5) + ["wrong"] * 5
