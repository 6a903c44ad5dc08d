"""Unexpected failures reach the client only as a masked error with a request id, which the
server log carries together with the real exception."""

from __future__ import annotations

import json
import logging

from resolvers.identity import login as login_rules
from service.logs import JsonFormatter

LOGIN = 'mutation { login(input: {username: "someone", password: "x"}) { errors { code } } }'


async def test_unexpected_exception_is_masked_with_request_id(client, monkeypatch, caplog):
    async def explode(*args, **kwargs):
        raise RuntimeError("connection string postgres://admin:hunter2@db/prod")

    monkeypatch.setattr(login_rules, "login", explode)
    with caplog.at_level(logging.INFO):
        response = await client.post(LOGIN)
    body = response.json()
    request_id = response.headers["x-request-id"]
    error = body["errors"][0]
    assert body["data"] is None
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert request_id in error["message"]
    assert "hunter2" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text

    logged = [r for r in caplog.records if r.name == "autofin.graphql" and r.levelno == logging.ERROR]
    assert len(logged) == 1
    line = json.loads(JsonFormatter().format(logged[0]))
    assert line["request_id"] == request_id
    assert "RuntimeError" in line["exc"]


async def test_client_supplied_request_id_is_kept(client):
    response = await client.post("{ viewer { id } }", headers={"x-request-id": "client-req-12345"})
    assert response.headers["x-request-id"] == "client-req-12345"
    odd = await client.post("{ viewer { id } }", headers={"x-request-id": "bad id\nInjected: yes"})
    assert odd.headers["x-request-id"] != "bad id\nInjected: yes" and len(odd.headers["x-request-id"]) == 32


async def test_syntax_errors_are_not_masked(client):
    body = (await client.post("{ viewer { ")).json()
    assert "Syntax Error" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_json_log_drops_secret_looking_fields():
    record = logging.LogRecord("x", logging.INFO, "f", 1, "hello", (), None)
    record.password = "hunter2"
    record.session_token = "abc"
    record.outbox_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert "password" not in line and "session_token" not in line and line["outbox_id"] == 7


async def test_variables_that_do_not_coerce_are_a_client_error(client):
    query = "mutation($input: LoginInput!) { login(input: $input) { errors { code } } }"
    body = (await client.post(query, {"input": {"username": "x", "password": "y", "unknownField": 1}})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "unknownField" in body["errors"][0]["message"]
