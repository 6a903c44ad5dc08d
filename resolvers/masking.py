"""How an email address or a phone number is shown when it must not be shown whole: the form the
schema's `maskedEmail` / `maskedPhone` fields, emails, audit details and the support desk all use."""

from __future__ import annotations


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return f"***-***-{''.join(digits[-4:])}" if len(digits) >= 4 else "***"
