"""MFA with TOTP through /graphql: enrolment (URI, QR, confirm), sign-in with a code or a recovery
code, the ±1 step window and replay, the challenge token's expiry and single use, staff's forced
enrolment, lockout by wrong codes, and one code used concurrently (PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from auth import totp
from models import AttemptCounter, AuditEvent, RecoveryCode, Session, User
from models.enums import Role, SessionScope
from resolvers.identity.login import MFA_CHALLENGE_TTL, ip_key
from service.demo_data import demo_totp_secret, seed_demo
from tests import factories

STEP = timedelta(seconds=totp.INTERVAL)

LOGIN = """mutation($u: String!, $p: String!) {
  login(input: {username: $u, password: $p, mode: BEARER}) {
    nextStep token mfaChallengeToken viewer { username mfaEnabled } errors { code message field }
  }
}"""
COMPLETE = """mutation($t: String!, $c: String, $r: String) {
  completeMfaLogin(input: {challengeToken: $t, code: $c, recoveryCode: $r}) {
    nextStep token mfaChallengeToken viewer { username mfaEnabled } errors { code message field }
  }
}"""
BEGIN = "mutation { beginMfaEnrolment { secret provisioningUri qrCodeSvg errors { code message } } }"
CONFIRM = """mutation($c: String!) {
  confirmMfaEnrolment(input: {code: $c}) { recoveryCodes viewer { username mfaEnabled } errors { code field } }
}"""
DISABLE = "mutation { disableMfa { viewer { mfaEnabled } errors { code message } } }"
REGENERATE = "mutation { regenerateRecoveryCodes { recoveryCodes errors { code } } }"
VIEWER = "{ viewer { username mfaEnabled } }"


async def customer(services, username: str = "alice"):
    return await factories.user(services, username, Role.CUSTOMER, customer=await factories.customer(services))


async def enrol(client, clock) -> tuple[str, list[str]]:
    """Enrol the signed-in user: returns the secret and the recovery codes."""
    begun = (await client.execute(BEGIN))["beginMfaEnrolment"]
    assert begun["errors"] == []
    confirmed = (await client.execute(CONFIRM, {"c": totp.current_code(begun["secret"], clock)}))
    payload = confirmed["confirmMfaEnrolment"]
    assert payload["errors"] == [], payload
    return begun["secret"], payload["recoveryCodes"]


async def customer_with_mfa(client, services, clock, username: str = "alice") -> tuple[User, str, list[str]]:
    user = await customer(services, username)
    await client.login(username, factories.TEST_PASSWORD)
    secret, codes = await enrol(client, clock)
    client.token = None
    clock.advance(STEP)  # the enrolment code's step is spent
    return user, secret, codes


async def password_step(client, username: str = "alice") -> dict:
    return (await client.execute(LOGIN, {"u": username, "p": factories.TEST_PASSWORD}))["login"]


async def complete(client, token: str, code: str | None = None, recovery: str | None = None) -> dict:
    return (await client.execute(COMPLETE, {"t": token, "c": code, "r": recovery}))["completeMfaLogin"]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def test_enrolment_shows_uri_qr_and_secret_once_and_confirm_turns_mfa_on(client, services, clock, mailbox):
    user = await customer(services)
    await client.login("alice", factories.TEST_PASSWORD)
    assert (await client.execute(VIEWER))["viewer"]["mfaEnabled"] is False
    begun = (await client.execute(BEGIN))["beginMfaEnrolment"]
    assert begun["errors"] == []
    uri = urlsplit(begun["provisioningUri"])
    assert uri.scheme == "otpauth" and uri.path == "/autofin:alice"
    assert parse_qs(uri.query)["secret"] == [begun["secret"]] and parse_qs(uri.query)["issuer"] == ["autofin"]
    assert begun["qrCodeSvg"].startswith("<svg")
    # Pending, encrypted, and not yet on.
    row = await User.get(id=user.id)
    assert row.mfa_pending_secret_encrypted and begun["secret"] not in row.mfa_pending_secret_encrypted
    assert row.mfa_enabled_at is None and (await client.execute(VIEWER))["viewer"]["mfaEnabled"] is False

    wrong = (await client.execute(CONFIRM, {"c": "000000" if totp.current_code(begun["secret"], clock) != "000000"
                                            else "111111"}))["confirmMfaEnrolment"]
    assert codes_of(wrong) == ["INVALID_CODE"] and wrong["recoveryCodes"] is None
    assert (await User.get(id=user.id)).mfa_enabled_at is None

    payload = (await client.execute(CONFIRM, {"c": totp.current_code(begun["secret"], clock)}))["confirmMfaEnrolment"]
    assert payload["errors"] == [] and payload["viewer"] == {"username": "alice", "mfaEnabled": True}
    recovery = payload["recoveryCodes"]
    assert len(recovery) == 10 and len(set(recovery)) == 10
    stored = await RecoveryCode.filter(user_id=user.id).values_list("code_hash", flat=True)
    assert sorted(stored) == sorted(totp.recovery_code_hash(c) for c in recovery)
    row = await User.get(id=user.id)
    assert row.mfa_enabled_at == clock.now() and row.mfa_pending_secret_encrypted is None
    assert totp.decrypt_secret(services.cipher, row.mfa_secret_encrypted) == begun["secret"]
    messages = await mailbox.deliver()
    assert [(m["To"], m["Subject"]) for m in messages] == [
        ("alice@example.com", "Two-step verification is on for your autofin account")]
    assert await AuditEvent.filter(action="mfa.enabled", subject_id=user.id).count() == 1


async def test_enrolment_needs_a_recent_reauthentication(client, services, clock):
    await customer(services)
    await client.login("alice", factories.TEST_PASSWORD)
    clock.advance(timedelta(minutes=6))
    payload = (await client.execute(BEGIN))["beginMfaEnrolment"]
    assert codes_of(payload) == ["REAUTHENTICATION_REQUIRED"] and payload["secret"] is None


async def test_sign_in_with_mfa_needs_a_code_and_gives_no_session_before_it(client, services, clock):
    user, secret, _ = await customer_with_mfa(client, services, clock)
    sessions_before = await Session.all().count()
    first = await password_step(client)
    assert first["errors"] == [] and first["nextStep"] == "MFA_REQUIRED"
    assert first["token"] is None and first["viewer"] is None and first["mfaChallengeToken"]
    assert await Session.all().count() == sessions_before
    done = await complete(client, first["mfaChallengeToken"], code=totp.current_code(secret, clock))
    assert done["errors"] == [] and done["nextStep"] == "DONE" and done["token"]
    assert done["viewer"] == {"username": "alice", "mfaEnabled": True}
    client.token = done["token"]
    assert (await client.execute(VIEWER))["viewer"]["username"] == "alice"
    newest = await Session.filter(user_id=user.id).order_by("-id").first()
    assert newest.scope == SessionScope.FULL and newest.reauthenticated_at == clock.now()
    details = (await AuditEvent.filter(action="login.succeeded").order_by("-id").first()).details
    assert details["method"] == "totp"


async def test_codes_one_step_either_side_work_once_each(client, services, clock):
    _, secret, _ = await customer_with_mfa(client, services, clock)
    clock.advance(STEP)  # so the step before now is later than the enrolment's
    now = totp.time_step(clock.now())

    async def attempt(step: int) -> list[str]:
        # This test is about codes: forget the IP's failures so no proof-of-work is asked for.
        await AttemptCounter.filter(key=ip_key("127.0.0.1")).delete()
        token = (await password_step(client))["mfaChallengeToken"]
        return codes_of(await complete(client, token, code=totp.code_at_step(secret, step)))

    assert await attempt(now - 2) == ["INVALID_CODE"]
    assert await attempt(now + 2) == ["INVALID_CODE"]
    assert await attempt(now - 1) == []
    assert await attempt(now - 1) == ["INVALID_CODE"]  # replay
    assert await attempt(now + 1) == []
    assert await attempt(now) == ["INVALID_CODE"]  # at or before the last accepted step
    clock.advance(STEP * 2)
    assert await attempt(now + 2) == []


async def test_the_challenge_token_is_single_use_and_expires(client, services, clock):
    _, secret, _ = await customer_with_mfa(client, services, clock)
    token = (await password_step(client))["mfaChallengeToken"]
    assert codes_of(await complete(client, token, code=totp.current_code(secret, clock))) == []
    clock.advance(STEP)
    again = await complete(client, token, code=totp.current_code(secret, clock))
    assert codes_of(again) == ["INVALID_TOKEN"] and again["mfaChallengeToken"] is None
    late = (await password_step(client))["mfaChallengeToken"]
    clock.advance(MFA_CHALLENGE_TTL)
    assert codes_of(await complete(client, late, code=totp.current_code(secret, clock))) == ["INVALID_TOKEN"]
    assert codes_of(await complete(client, "made-up", code="123456")) == ["INVALID_TOKEN"]


async def test_a_recovery_code_works_once_and_sends_an_alert(client, services, clock, mailbox):
    user, _, recovery = await customer_with_mfa(client, services, clock)
    await mailbox.deliver()
    token = (await password_step(client))["mfaChallengeToken"]
    typed = recovery[0].lower().replace("-", " ")  # people type them loosely
    done = await complete(client, token, recovery=typed)
    assert done["errors"] == [] and done["nextStep"] == "DONE"
    messages = await mailbox.deliver()
    assert [(m["To"], m["Subject"]) for m in messages] == [
        ("alice@example.com", "A recovery code was used to sign in to your autofin account")]
    assert "9 unused recovery codes left" in mailbox.text(messages[0])
    assert await AuditEvent.filter(action="mfa.recovery_code_used", subject_id=user.id).count() == 1
    token = (await password_step(client))["mfaChallengeToken"]
    reused = await complete(client, token, recovery=recovery[0])
    assert codes_of(reused) == ["INVALID_CODE"] and reused["errors"][0]["field"] == ["recoveryCode"]
    both = await complete(client, reused["mfaChallengeToken"], code="123456", recovery=recovery[1])
    assert codes_of(both) == ["INVALID"]


async def test_wrong_codes_count_toward_the_lockout(client, services, clock, mailbox):
    _, secret, _ = await customer_with_mfa(client, services, clock)
    await mailbox.deliver()
    right = totp.current_code(secret, clock)
    wrong = "000000" if right != "000000" else "111111"
    token = (await password_step(client))["mfaChallengeToken"]
    for attempt in range(1, 11):
        payload = await complete(client, token, code=wrong)
        if attempt < 10:
            assert codes_of(payload) == ["INVALID_CODE"] and payload["mfaChallengeToken"]
            token = payload["mfaChallengeToken"]  # retry without the password
        else:
            assert codes_of(payload) == ["LOCKED"] and payload["mfaChallengeToken"] is None
    assert await AuditEvent.filter(action="mfa.challenge_failed").count() == 10
    assert codes_of(await password_step(client)) == ["LOCKED"]
    messages = await mailbox.deliver()
    assert [m["Subject"] for m in messages] == ["Your autofin sign-in is locked for 24 hours"]


async def test_a_correct_password_alone_does_not_reset_the_count(client, services, clock):
    _, secret, _ = await customer_with_mfa(client, services, clock)
    wrong = "000000" if totp.current_code(secret, clock) != "000000" else "111111"
    for _ in range(2):
        await complete(client, (await password_step(client))["mfaChallengeToken"], code=wrong)
    third = await complete(client, (await password_step(client))["mfaChallengeToken"], code=wrong)
    assert codes_of(third) == ["INVALID_CODE"]
    # Three failures: the next password step needs the proof-of-work challenge.
    assert codes_of(await password_step(client)) == ["CHALLENGE_REQUIRED"]


async def test_staff_without_mfa_get_an_enrolment_session_then_a_full_one(client, services, clock):
    dealer = await factories.dealership()
    await factories.user(services, "dora", Role.DEALER_USER, dealership=dealer)
    first = await password_step(client, "dora")
    assert first["errors"] == [] and first["nextStep"] == "MFA_ENROLMENT_REQUIRED"
    assert first["viewer"] is None and first["token"] and first["mfaChallengeToken"] is None
    client.token = first["token"]
    assert (await client.execute(VIEWER))["viewer"] is None  # the session reaches nothing else
    body = (await client.post("{ dealer { dealership { name } } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    clock.advance(timedelta(minutes=6))  # no re-authentication asked in an enrolment session
    secret, recovery = await enrol(client, clock)
    assert len(recovery) == 10
    session = await Session.get(token_hash__isnull=False, user__username="dora")
    assert session.scope == SessionScope.FULL
    assert (await client.execute(VIEWER))["viewer"] == {"username": "dora", "mfaEnabled": True}
    assert (await client.execute("{ dealer { dealership { name } } }"))["dealer"]["dealership"]["name"]
    # From now on dora signs in with a code.
    client.token = None
    clock.advance(STEP)
    second = await password_step(client, "dora")
    assert second["nextStep"] == "MFA_REQUIRED"
    done = await complete(client, second["mfaChallengeToken"], code=totp.current_code(secret, clock))
    assert done["nextStep"] == "DONE" and done["viewer"]["username"] == "dora"


async def test_an_enrolment_session_can_sign_out(client, services):
    await factories.user(services, "sam", Role.SUPPORT)
    client.token = (await password_step(client, "sam"))["token"]
    data = await client.execute("mutation { logout { signedOut } }")
    assert data["logout"]["signedOut"] is True
    assert (await Session.get()).revoked_at is not None


async def test_staff_cannot_turn_mfa_off(client, services, clock):
    await factories.user(services, "sam", Role.SUPPORT)
    client.token = (await password_step(client, "sam"))["token"]
    await enrol(client, clock)
    body = (await client.post(DISABLE)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await User.get(username="sam")).mfa_enabled_at is not None


async def test_a_customer_can_turn_mfa_off_after_reauthenticating(client, services, clock, mailbox):
    user, secret, _ = await customer_with_mfa(client, services, clock)
    await mailbox.deliver()
    token = (await password_step(client))["mfaChallengeToken"]
    client.token = (await complete(client, token, code=totp.current_code(secret, clock)))["token"]
    clock.advance(timedelta(minutes=6))
    assert codes_of((await client.execute(DISABLE))["disableMfa"]) == ["REAUTHENTICATION_REQUIRED"]
    assert (await User.get(id=user.id)).mfa_enabled_at is not None
    client.token = None
    clock.advance(STEP)
    token = (await password_step(client))["mfaChallengeToken"]
    client.token = (await complete(client, token, code=totp.current_code(secret, clock)))["token"]
    payload = (await client.execute(DISABLE))["disableMfa"]
    assert payload == {"viewer": {"mfaEnabled": False}, "errors": []}
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    messages = await mailbox.deliver()
    assert [m["Subject"] for m in messages] == ["Two-step verification was turned off for your autofin account"]
    assert await AuditEvent.filter(action="mfa.disabled", subject_id=user.id).count() == 1
    client.token = None
    assert (await password_step(client))["nextStep"] == "DONE"


async def test_new_recovery_codes_replace_the_old_ones(client, services, clock):
    _, secret, old = await customer_with_mfa(client, services, clock)
    token = (await password_step(client))["mfaChallengeToken"]
    client.token = (await complete(client, token, code=totp.current_code(secret, clock)))["token"]
    payload = (await client.execute(REGENERATE))["regenerateRecoveryCodes"]
    assert payload["errors"] == [] and len(payload["recoveryCodes"]) == 10
    assert not set(payload["recoveryCodes"]) & set(old)
    client.token = None
    token = (await password_step(client))["mfaChallengeToken"]
    stale = await complete(client, token, recovery=old[1])
    assert codes_of(stale) == ["INVALID_CODE"]
    assert codes_of(await complete(client, stale["mfaChallengeToken"], recovery=payload["recoveryCodes"][0])) == []


async def test_demo_staff_sign_in_with_their_demo_totp_secret(client, services, clock):
    await seed_demo(services, progress=lambda _: None, documents=False)
    first = (await client.execute(LOGIN, {"u": "admin", "p": "demo-password-admin"}))["login"]
    assert first["nextStep"] == "MFA_REQUIRED"
    done = await complete(client, first["mfaChallengeToken"], code=totp.current_code(demo_totp_secret("admin"), clock))
    assert done["nextStep"] == "DONE" and done["viewer"] == {"username": "admin", "mfaEnabled": True}


@pytest.mark.postgres_only
async def test_one_code_used_concurrently_is_accepted_once(client, services, clock):
    _, secret, _ = await customer_with_mfa(client, services, clock)
    tokens = [(await password_step(client))["mfaChallengeToken"] for _ in range(2)]
    code = totp.current_code(secret, clock)
    results = await asyncio.gather(*(complete(client, token, code=code) for token in tokens))
    assert sorted(tuple(codes_of(r)) for r in results) == [(), ("INVALID_CODE",)]
    # The same race one level down: five verifications of one fresh code, one winner.
    clock.advance(STEP)
    user = await User.get(username="alice")
    code = totp.current_code(secret, clock)
    copies = [await User.get(id=user.id) for _ in range(5)]
    accepted = await asyncio.gather(*(totp.accept_code(u, code, cipher=services.cipher, clock=clock) for u in copies))
    assert sorted(accepted) == [False] * 4 + [True]
