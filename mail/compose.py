"""Render a message (text + HTML) and put it in the outbox, in the caller's transaction.

Templates live in mail/templates as `<name>.subject.txt`, `<name>.txt` and `<name>.html`.
HTML is autoescaped, so a customer's name cannot inject markup into a message. The caller
passes its transaction (`using_db`), so the message exists if and only if the change that
caused it was committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from models import OutboxMessage
from service.clock import Clock

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MESSAGE_ID_DOMAIN = "autofin.mail"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render(template: str, context: dict[str, Any]) -> RenderedMail:
    subject = _env.get_template(f"{template}.subject.txt").render(context).strip()
    if "\n" in subject or "\r" in subject:
        raise ValueError("a subject must be one line")  # header injection guard
    return RenderedMail(
        subject=subject,
        text=_env.get_template(f"{template}.txt").render(context),
        html=_env.get_template(f"{template}.html").render(context),
    )


async def enqueue_mail(
    *,
    clock: Clock,
    template: str,
    recipient: str,
    context: dict[str, Any],
    using_db: Any = None,
) -> OutboxMessage:
    """Render `template` for `recipient` and store it for delivery by the outbox worker."""
    if "\n" in recipient or "\r" in recipient:
        raise ValueError("a recipient must be one address")
    rendered = render(template, context)
    now = clock.now()
    return await OutboxMessage.create(
        message_id=f"<{uuid.uuid4().hex}@{MESSAGE_ID_DOMAIN}>",
        template=template,
        recipient=recipient,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        next_attempt_at=now,
        created_at=now,
        using_db=using_db,
    )
