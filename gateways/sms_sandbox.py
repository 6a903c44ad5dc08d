"""The sandbox SMS provider (development and tests only; production refuses it).

It behaves like a provider's test mode: a message to a valid North American number is accepted,
given an id and recorded as one JSON file under `var/sms/` (`<id>.json` with `to`, `body`,
`message_id`), which is where a developer reads a code sent "by text". Nothing leaves the machine.
Test numbers: a number ending in 0002 is refused (unreachable), as a provider refuses a landline.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

from gateways.sms import SmsError, SmsReceipt, to_e164

UNREACHABLE_SUFFIX = "0002"


class SandboxSms:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    async def send(self, *, to: str, body: str) -> SmsReceipt:
        number = to_e164(to)
        if number is None:
            raise SmsError("not a valid North American phone number")
        if number.endswith(UNREACHABLE_SUFFIX):
            raise SmsError("the number cannot receive text messages")
        receipt = SmsReceipt(message_id=f"sms_{secrets.token_hex(8)}")
        record = {"message_id": receipt.message_id, "to": number, "body": body}
        await asyncio.to_thread(self._write, receipt.message_id, record)
        return receipt

    def _write(self, message_id: str, record: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message_id}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=2))
        temporary.replace(path)

    def messages(self) -> list[dict]:
        """Every recorded message, oldest first (for tests and developers)."""
        if not self.directory.exists():
            return []
        files = sorted(self.directory.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))
        return [json.loads(p.read_text()) for p in files]
