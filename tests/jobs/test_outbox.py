"""Mail goes through the durable outbox and a real SMTP server (aiosmtpd), exactly once."""

from __future__ import annotations

import asyncio
import email
from datetime import timedelta
from email import policy

import pytest
from tortoise.transactions import in_transaction

from jobs import outbox
from jobs.outbox import SmtpTransport, deliver_due
from mail.compose import enqueue_mail
from models import OutboxMessage
from models.enums import OutboxStatus
from service.config import load_settings
from tests.conftest import SmtpRecorder, free_port


def _transport(settings_env: dict, port: int) -> SmtpTransport:
    return SmtpTransport(load_settings({**settings_env, "AUTOFIN_SMTP_PORT": str(port)}))


async def _enqueue(clock, first_name: str = "Alice", recipient: str = "alice@example.com") -> OutboxMessage:
    return await enqueue_mail(clock=clock, template="welcome", recipient=recipient, context={"first_name": first_name})


async def _deliver(clock, transport, worker_id: str = "w1"):
    return await deliver_due(clock=clock, transport=transport, sender="autofin <no-reply@autofin.test>",
                             worker_id=worker_id)


async def test_message_enqueued_in_a_rolled_back_transaction_never_exists(db, clock):
    with pytest.raises(RuntimeError):
        async with in_transaction() as connection:
            await enqueue_mail(clock=clock, template="welcome", recipient="a@example.com",
                               context={"first_name": "A"}, using_db=connection)
            raise RuntimeError("the change that caused the mail failed")
    assert await OutboxMessage.all().count() == 0


async def test_delivered_once_when_the_server_is_down_first_and_up_later(db, clock, settings_env):
    port = free_port()
    transport = _transport(settings_env, port)
    row = await _enqueue(clock)

    report = await _deliver(clock, transport)  # nothing listens on the port yet
    assert (report.sent, report.retried) == (0, 1)
    row = await OutboxMessage.get(id=row.id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert "SMTPConnectError" in row.last_error

    server = SmtpRecorder("127.0.0.1", port)
    server.start()
    try:
        clock.advance(timedelta(seconds=29))
        assert (await _deliver(clock, transport)).sent == 0  # not due yet: backoff holds
        clock.advance(timedelta(seconds=1))
        assert (await _deliver(clock, transport)).sent == 1
        clock.advance(timedelta(hours=2))
        assert (await _deliver(clock, transport)).sent == 0  # sent rows stay sent
    finally:
        server.stop()

    assert len(server.messages) == 1
    row = await OutboxMessage.get(id=row.id)
    assert row.status == OutboxStatus.SENT and row.sent_at == clock.now() - timedelta(hours=2)
    message = email.message_from_bytes(server.messages[0].original_content, policy=policy.default)
    assert message["Message-ID"] == row.message_id
    assert message["Subject"] == "Welcome to autofin, Alice"
    assert {part.get_content_type() for part in message.iter_parts()} == {"text/plain", "text/html"}


async def test_two_workers_never_send_a_message_twice(db, clock, settings_env, smtp_server):
    transport = _transport(settings_env, smtp_server.port)
    rows = [await _enqueue(clock, recipient=f"c{i}@example.com") for i in range(30)]
    reports = await asyncio.gather(*(_deliver(clock, transport, worker_id=f"worker-{n}") for n in range(3)))
    assert sum(r.sent for r in reports) == 30
    ids = [email.message_from_bytes(m.original_content)["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert set(ids) == {r.message_id for r in rows}
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 30


async def test_claim_of_a_crashed_worker_expires_and_the_message_is_sent(db, clock, settings_env, smtp_server):
    row = await _enqueue(clock)
    assert await outbox._claim(row.id, "crashed-worker", clock)  # claimed, never finished
    transport = _transport(settings_env, smtp_server.port)
    assert (await _deliver(clock, transport)).sent == 0
    clock.advance(outbox.CLAIM_TTL + timedelta(seconds=1))
    assert (await _deliver(clock, transport)).sent == 1
    assert len(smtp_server.messages) == 1


async def test_message_is_dead_after_max_attempts(db, clock, settings_env):
    transport = _transport(settings_env, free_port())
    row = await _enqueue(clock)
    for _ in range(outbox.MAX_ATTEMPTS):
        await _deliver(clock, transport)
        clock.advance(outbox.MAX_RETRY)
    row = await OutboxMessage.get(id=row.id)
    assert row.status == OutboxStatus.DEAD and row.attempts == outbox.MAX_ATTEMPTS


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.retry_delay(20) == outbox.MAX_RETRY


async def test_html_body_escapes_customer_data(db, clock):
    row = await _enqueue(clock, first_name="<script>alert(1)</script>")
    assert "<script>" not in row.html_body and "&lt;script&gt;" in row.html_body
    assert "<script>" in row.text_body  # plain text is not HTML


async def test_header_injection_in_recipient_is_refused(db, clock):
    with pytest.raises(ValueError):
        await _enqueue(clock, recipient="a@example.com\r\nBcc: everyone@example.com")


async def test_embedded_mail_sink_stores_each_message_as_a_file(db, clock, settings_env, tmp_path):
    from jobs.worker import Worker
    from service.container import Services
    from service.mail_sink import start_mail_sink

    port = free_port()
    sink = start_mail_sink(tmp_path / "mail", "127.0.0.1", port)
    try:
        services = Services(load_settings({**settings_env, "AUTOFIN_SMTP_PORT": str(port)}), clock=clock)
        await _enqueue(clock, first_name="Sam")
        await Worker(services).run_once()
    finally:
        sink.stop()
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    stored = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert stored["Subject"] == "Welcome to autofin, Sam" and stored["To"] == "alice@example.com"
