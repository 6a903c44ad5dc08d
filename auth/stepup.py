"""Step-up authentication: sensitive changes (password, email, MFA, payment methods, autopay)
need a password or TOTP check within the last five minutes of this session."""

from __future__ import annotations

from datetime import timedelta

from models import Session
from service.clock import Clock

REAUTH_WINDOW = timedelta(minutes=5)


def recently_reauthenticated(session: Session | None, clock: Clock) -> bool:
    if session is None or session.reauthenticated_at is None:
        return False
    return clock.now() - session.reauthenticated_at <= REAUTH_WINDOW


async def mark_reauthenticated(session: Session, clock: Clock, using_db=None) -> None:
    now = clock.now()
    query = Session.filter(id=session.id)
    await (query.using_db(using_db) if using_db is not None else query).update(reauthenticated_at=now)
    session.reauthenticated_at = now
