"""Signed download links: valid for their subject, user and time only; every failure is None."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from auth.signed_links import signed_query, verified_user_id
from service.clock import FrozenClock

SECRET = "s" * 40
TTL = timedelta(minutes=5)


def _link(clock: FrozenClock, subject: str = "42", user: int = 7) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(signed_query(SECRET, "test", subject, user, clock=clock, ttl=TTL)).items()}


def _check(clock: FrozenClock, link: dict[str, str], subject: str = "42", purpose: str = "test") -> int | None:
    return verified_user_id(SECRET, purpose, subject, link["expires"], link["user"], link["signature"],
                            clock=clock, ttl=TTL)


def test_a_link_names_its_user_until_it_expires():
    clock = FrozenClock(datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    link = _link(clock)
    assert _check(clock, link) == 7
    clock.advance(TTL + timedelta(seconds=1))
    assert _check(clock, link) is None


def test_another_subject_user_purpose_or_signature_is_refused():
    clock = FrozenClock(datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    link = _link(clock)
    assert _check(clock, link, subject="43") is None
    assert _check(clock, link, purpose="other") is None
    assert _check(clock, {**link, "user": "8"}) is None
    assert _check(clock, {**link, "signature": "0" * 64}) is None
    assert _check(clock, {**link, "signature": "é" * 64}) is None
    assert _check(clock, {**link, "expires": "x"}) is None


def test_an_expiry_beyond_the_lifetime_is_refused_even_when_signed():
    clock = FrozenClock(datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    far = _link(FrozenClock(datetime(2026, 11, 27, 12, tzinfo=timezone.utc)))  # signed a day ahead
    assert _check(clock, far) is None
