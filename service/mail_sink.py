"""The embedded default's mail server: a local SMTP sink that stores every message as a file.

Development only (production refuses AUTOFIN_MAIL_SINK=true). Open var/mail/*.eml in any mail
client, or read them as text.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from pathlib import Path

from aiosmtpd.controller import Controller


class FileSinkHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = self.directory / f"{stamp}-{next(self._counter):04d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_mail_sink(directory: Path, host: str, port: int) -> Controller:
    """Start the sink in its own thread; the caller stops it with `.stop()`."""
    controller = Controller(FileSinkHandler(directory), hostname=host, port=port)
    controller.start()
    return controller
