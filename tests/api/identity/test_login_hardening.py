"""Sign-in throttling through /graphql: the proof-of-work challenge after 3 failures, the 24-hour
lock after 10 (for real and made-up user IDs alike), aliases, counter resets and the new-device
email. Emails are read from the real SMTP sink."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from auth import challenge
from graph import limits
from models import AttemptCounter, AuditEvent, KnownDevice, Session
from models.enums import Role
from resolvers.identity.login import ip_key, user_key
from tests import factories
from tests.conftest import GraphQLClient

MAX_NUMBER = 40
WRONG = "not the password at all"

LOGIN = """mutation($u: String!, $p: String!, $c: ChallengeSolutionInput) {
  login(input: {username: $u, password: $p, mode: BEARER, challenge: $c}) {
    nextStep token viewer { username } errors { code message field }
  }
}"""
CHALLENGE = "{ loginChallenge { algorithm challenge salt signature maxNumber } }"


@pytest.fixture
def settings_env(settings_env):
    """An easy challenge, so tests solve it in microseconds."""
    return {**settings_env, "AUTOFIN_CHALLENGE_MAX_NUMBER": str(MAX_NUMBER)}


async def customer(services, username: str = "dana"):
    return await factories.user(services, username, Role.CUSTOMER, customer=await factories.customer(services))


async def solved(client) -> dict:
    made = (await client.execute(CHALLENGE))["loginChallenge"]
    solution = challenge.Solution(made["salt"], made["challenge"], made["signature"], 0)
    number = challenge.solve(solution, made["maxNumber"])
    return {"salt": made["salt"], "challenge": made["challenge"], "signature": made["signature"], "number": number}


async def login(client, username: str, password: str, solution: dict | None = None) -> dict:
    return (await client.execute(LOGIN, {"u": username, "p": password, "c": solution}))["login"]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def failures(key: str) -> int:
    row = await AttemptCounter.filter(key=key).first()
    return row.failures if row else 0


@pytest.fixture
async def client_at(app):
    """Clients that connect from a given IP address."""
    opened = []

    async def make(ip: str, user_agent: str = "python-httpx") -> GraphQLClient:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
                                 base_url="http://testserver", headers={"user-agent": user_agent})
        opened.append(http)
        return GraphQLClient(http)

    yield make
    for http in opened:
        await http.aclose()


async def test_login_challenge_is_a_signed_expiring_pow_puzzle(client):
    made = (await client.execute(CHALLENGE))["loginChallenge"]
    assert made["algorithm"] == "SHA-256" and made["maxNumber"] == MAX_NUMBER
    assert "?expires=" in made["salt"] and len(made["challenge"]) == 64 and len(made["signature"]) == 64
    assert (await solved(client))["number"] is not None


async def test_three_failures_for_a_user_id_require_a_challenge(client, services):
    await customer(services)
    for _ in range(3):
        assert codes(await login(client, "dana", WRONG)) == ["INVALID_CREDENTIALS"]
    # Even the right password is not checked without a solution, and nothing more is counted.
    payload = await login(client, "Dana", factories.TEST_PASSWORD)
    assert codes(payload) == ["CHALLENGE_REQUIRED"] and payload["errors"][0]["field"] == ["challenge"]
    assert payload["token"] is None and await Session.all().count() == 0
    assert await failures(user_key("dana")) == 3
    payload = await login(client, "dana", factories.TEST_PASSWORD, await solved(client))
    assert payload["errors"] == [] and payload["nextStep"] == "DONE"
    assert await failures(user_key("dana")) == 0  # a success resets the user ID's counter...
    assert await failures(ip_key("127.0.0.1")) == 3  # ...but not the IP's window


async def test_a_solution_works_once_and_not_after_it_expires(client, services, clock):
    await customer(services)
    for _ in range(3):
        await login(client, "dana", WRONG)
    solution = await solved(client)
    assert codes(await login(client, "dana", WRONG, solution)) == ["INVALID_CREDENTIALS"]
    assert codes(await login(client, "dana", factories.TEST_PASSWORD, solution)) == ["CHALLENGE_REQUIRED"]
    tampered = {**(await solved(client))}
    tampered["number"] = (tampered["number"] + 1) % (MAX_NUMBER + 1)
    assert codes(await login(client, "dana", factories.TEST_PASSWORD, tampered)) == ["CHALLENGE_REQUIRED"]
    stale = await solved(client)
    clock.advance(challenge.TTL)
    assert codes(await login(client, "dana", factories.TEST_PASSWORD, stale)) == ["CHALLENGE_REQUIRED"]
    assert codes(await login(client, "dana", factories.TEST_PASSWORD, await solved(client))) == []


async def test_three_failures_from_an_ip_require_a_challenge_for_every_user_id_for_15_minutes(
    client_at, services, clock
):
    await customer(services)
    attacker = await client_at("198.51.100.7")
    for name in ("ghost1", "ghost2", "ghost3"):
        assert codes(await login(attacker, name, WRONG)) == ["INVALID_CREDENTIALS"]
    assert codes(await login(attacker, "dana", factories.TEST_PASSWORD)) == ["CHALLENGE_REQUIRED"]
    elsewhere = await client_at("203.0.113.9")
    assert codes(await login(elsewhere, "dana", factories.TEST_PASSWORD)) == []
    clock.advance(timedelta(minutes=15))
    assert codes(await login(attacker, "dana", factories.TEST_PASSWORD)) == []


async def _fail_ten_times(client, username: str) -> list[dict]:
    answers = []
    for _ in range(10):
        answers.append(await login(client, username, WRONG, await solved(client)))
    return answers


async def test_tenth_failure_locks_real_and_made_up_user_ids_alike(client, services, mailbox):
    await customer(services)
    real = await _fail_ten_times(client, "dana")
    made_up = await _fail_ten_times(client, "nobody-here")
    assert [codes(a) for a in real] == [["INVALID_CREDENTIALS"]] * 9 + [["LOCKED"]]
    assert real == made_up  # same answers, same messages: nothing tells them apart
    assert "locked for 24 hours" in real[-1]["errors"][0]["message"]
    # While locked even the right password gets LOCKED, and no session.
    assert codes(await login(client, "dana", factories.TEST_PASSWORD, await solved(client))) == ["LOCKED"]
    assert await Session.all().count() == 0
    # Only the real owner is emailed, once.
    messages = await mailbox.deliver()
    assert [m["To"] for m in messages] == ["dana@example.com"]
    assert messages[0]["Subject"] == "Your autofin sign-in is locked for 24 hours"
    assert "too many failed attempts" in mailbox.text(messages[0])
    locks = await AuditEvent.filter(action="login.locked").order_by("id")
    assert len(locks) == 2 and locks[0].subject_id is not None and locks[1].subject_id is None


async def test_a_locked_answer_costs_one_password_verification(client, services, monkeypatch):
    await customer(services)
    await _fail_ten_times(client, "dana")
    await _fail_ten_times(client, "nobody-here")
    seen = []
    real_verify = services.passwords.verify

    async def counting_verify(stored_hash, password):
        seen.append(stored_hash)
        return await real_verify(stored_hash, password)

    monkeypatch.setattr(services.passwords, "verify", counting_verify)
    for name in ("dana", "nobody-here"):
        assert codes(await login(client, name, factories.TEST_PASSWORD, await solved(client))) == ["LOCKED"]
    assert seen == [None, None]  # a dummy verification each, the real hash never consulted


async def test_the_lock_ends_after_24_hours(client, services, clock):
    await customer(services)
    await _fail_ten_times(client, "dana")
    clock.advance(timedelta(hours=23, minutes=59))
    assert codes(await login(client, "dana", factories.TEST_PASSWORD, await solved(client))) == ["LOCKED"]
    clock.advance(timedelta(minutes=1))
    payload = await login(client, "dana", factories.TEST_PASSWORD)
    assert payload["errors"] == [] and payload["nextStep"] == "DONE"


async def test_a_success_resets_the_count_so_the_lock_needs_ten_in_a_row(client, services):
    await customer(services)
    for _ in range(9):
        await login(client, "dana", WRONG, await solved(client))
    assert codes(await login(client, "dana", factories.TEST_PASSWORD, await solved(client))) == []
    for _ in range(9):
        assert codes(await login(client, "dana", WRONG, await solved(client))) == ["INVALID_CREDENTIALS"]
    assert codes(await login(client, "dana", WRONG, await solved(client))) == ["LOCKED"]


def _aliased(count: int, with_solutions: bool) -> str:
    params = ", ".join(f"$c{i}: ChallengeSolutionInput" for i in range(count)) if with_solutions else ""
    calls = " ".join(
        f'a{i}: login(input: {{username: "dana", password: "{WRONG}", mode: BEARER'
        + (f", challenge: $c{i}" if with_solutions else "") + "}) { token errors { code } }"
        for i in range(count)
    )
    return f"mutation{f'({params})' if params else ''} {{ {calls} }}"


async def test_aliased_logins_count_one_attempt_each(client, services):
    await customer(services)
    data = await client.execute(_aliased(10, with_solutions=False))
    answers = [data[f"a{i}"]["errors"][0]["code"] for i in range(10)]
    assert answers == ["INVALID_CREDENTIALS"] * 3 + ["CHALLENGE_REQUIRED"] * 7
    assert await failures(user_key("dana")) == 3
    actions = await AuditEvent.all().order_by("id").values_list("action", flat=True)
    assert actions == ["login.failed"] * 3 + ["login.challenge_required"] * 7


async def test_aliased_logins_with_solutions_reach_the_lock(client, services):
    await customer(services)
    variables = {f"c{i}": await solved(client) for i in range(10)}
    data = await client.execute(_aliased(10, with_solutions=True), variables)
    answers = [data[f"a{i}"]["errors"][0]["code"] for i in range(10)]
    assert answers == ["INVALID_CREDENTIALS"] * 9 + ["LOCKED"]
    # One solution in every alias buys one attempt, not ten.
    await AttemptCounter.filter(key=user_key("dana")).delete()
    await AttemptCounter.filter(key=ip_key("127.0.0.1")).update(failures=3)
    same = await solved(client)
    data = await client.execute(_aliased(5, with_solutions=True), {f"c{i}": same for i in range(5)})
    assert [data[f"a{i}"]["errors"][0]["code"] for i in range(5)] == ["INVALID_CREDENTIALS"] + [
        "CHALLENGE_REQUIRED"] * 4


async def test_more_aliases_than_allowed_are_refused_whole(client, services):
    await customer(services)
    response = await client.post(_aliased(limits.MAX_ALIASES + 1, with_solutions=False))
    body = response.json()
    assert body.get("data") is None and str(limits.MAX_ALIASES) in body["errors"][0]["message"]
    assert await AttemptCounter.all().count() == 0 and await AuditEvent.all().count() == 0


async def test_new_device_or_network_sends_a_new_sign_in_email(client_at, services, mailbox):
    await customer(services)
    laptop = await client_at("203.0.113.10", "Firefox on the laptop")
    assert codes(await login(laptop, "dana", factories.TEST_PASSWORD)) == []
    assert codes(await login(laptop, "dana", factories.TEST_PASSWORD)) == []
    same_network = await client_at("203.0.113.77", "Firefox on the laptop")
    assert codes(await login(same_network, "dana", factories.TEST_PASSWORD)) == []
    assert await mailbox.deliver() == []  # the first device is not news, nor is a known one
    phone = await client_at("198.51.100.20", "Safari on a phone")
    assert codes(await login(phone, "dana", factories.TEST_PASSWORD)) == []
    messages = await mailbox.deliver()
    assert [(m["To"], m["Subject"]) for m in messages] == [("dana@example.com", "New sign-in to your autofin account")]
    text = mailbox.text(messages[0])
    assert "198.51.100.20" in text and "Safari on a phone" in text and "2026-11-02 15:00 UTC" in text
    assert await KnownDevice.all().count() == 2
    event = await AuditEvent.filter(action="login.succeeded").order_by("-id").first()
    assert event.details["new_device"] is True and event.ip == "198.51.100.20"


async def test_every_attempt_is_audited_without_the_password(client, services):
    user = await customer(services)
    await login(client, "dana", WRONG)
    await login(client, "nobody", WRONG)
    await login(client, "dana", factories.TEST_PASSWORD)
    events = await AuditEvent.all().order_by("id")
    assert [(e.action, e.subject_id) for e in events] == [
        ("login.failed", user.id), ("login.failed", None), ("login.succeeded", user.id)]
    assert all(e.ip == "127.0.0.1" for e in events)
    for event in events:
        assert WRONG not in str(event.details) and factories.TEST_PASSWORD not in str(event.details)
        assert "nobody" not in str(event.details)


async def test_sign_in_counts_as_a_recent_reauthentication(client, services, clock):
    await customer(services)
    await login(client, "dana", factories.TEST_PASSWORD)
    session = await Session.get()
    assert session.reauthenticated_at == clock.now()
