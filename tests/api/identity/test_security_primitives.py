"""Audit chain, single-use tokens and attempt counters, on the real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from auth import attempts, audit, one_time_tokens
from models import AuditEvent
from models.enums import Role, TokenPurpose
from tests import factories


async def test_audit_chain_verifies_and_detects_edits(services, clock):
    user = await factories.user(services, "dana", Role.SUPPORT)
    for action in ("login.succeeded", "session.revoked", "mfa.enabled"):
        await audit.record(action, clock=clock, actor=user, subject=user, origin=audit.Origin("10.0.0.1", "ua"))
    assert await audit.verify_chain() == audit.ChainReport(True, 3)

    middle = await AuditEvent.all().order_by("id").offset(1).first()
    await AuditEvent.filter(id=middle.id).update(action="login.failed")  # tampering behind the app's back
    report = await audit.verify_chain()
    assert not report.ok and report.first_bad_id == middle.id and "edited" in report.reason


async def test_audit_chain_detects_a_deleted_row(services, clock):
    for action in ("a.one", "a.two", "a.three"):
        await audit.record(action, clock=clock)
    first = await AuditEvent.all().order_by("id").first()
    await AuditEvent.filter(id=first.id).delete()
    assert not (await audit.verify_chain()).ok


async def test_audit_refuses_secret_details(services, clock):
    with pytest.raises(ValueError):
        await audit.record("login.failed", clock=clock, details={"password": "hunter2"})
    assert await AuditEvent.all().count() == 0


async def test_concurrent_audit_writers_keep_one_chain(services, clock):
    await asyncio.gather(*(audit.record(f"event.{i}", clock=clock) for i in range(20)))
    report = await audit.verify_chain()
    assert report == audit.ChainReport(True, 20)


async def test_token_works_once_even_when_raced(services, clock):
    user = await factories.user(services, "dana", Role.SUPPORT)
    token = await one_time_tokens.issue(TokenPurpose.PASSWORD_RESET, clock=clock, ttl=timedelta(minutes=30), user=user)
    results = await asyncio.gather(*(one_time_tokens.consume(TokenPurpose.PASSWORD_RESET, token, clock=clock)
                                     for _ in range(5)))
    assert sum(r is not None for r in results) == 1


async def test_token_expires_and_is_bound_to_its_purpose(services, clock):
    token = await one_time_tokens.issue(TokenPurpose.PASSWORD_RESET, clock=clock, ttl=timedelta(minutes=30))
    assert await one_time_tokens.consume(TokenPurpose.EMAIL_VERIFICATION, token, clock=clock) is None
    clock.advance(timedelta(minutes=30))
    assert await one_time_tokens.consume(TokenPurpose.PASSWORD_RESET, token, clock=clock) is None


async def test_attempt_counter_counts_atomically_and_windows(services, clock):
    await asyncio.gather(*(attempts.add_failure("login:user:x", clock=clock) for _ in range(10)))
    assert await attempts.failures("login:user:x", clock=clock) == 10
    assert await attempts.within_limit("register:ip:1", clock=clock, limit=2, window=timedelta(hours=1))
    assert await attempts.within_limit("register:ip:1", clock=clock, limit=2, window=timedelta(hours=1))
    assert not await attempts.within_limit("register:ip:1", clock=clock, limit=2, window=timedelta(hours=1))
    clock.advance(timedelta(hours=1))
    assert await attempts.within_limit("register:ip:1", clock=clock, limit=2, window=timedelta(hours=1))
