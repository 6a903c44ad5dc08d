"""Fan-out of live events to the subscriptions of this server process.

Every web process runs one `Fanout` (started and stopped with the app's lifespan). It learns of
each committed `live_events` row and hands it to the local subscribers that may want it:

- PostgreSQL: one asyncpg connection of its own LISTENs on `CHANNEL`; publish() NOTIFYs the row id
  in the writer's transaction, so the notification arrives at commit, never before the row can be
  read. The ids are then read in one query per batch. If the listening connection drops, it
  reconnects (backing off) and re-reads the events created since a little before the drop, skipping
  the ones already handed out, so a restart of PostgreSQL loses nothing that committed meanwhile.
- SQLite: every `live_poll_seconds` (AUTOFIN_LIVE_POLL_SECONDS) the process reads the rows with an
  id above the last one it saw. SQLite has one writer, so ids commit in order and nothing is skipped.

A subscriber is a queue registered under a user id (events published for that user), a thread id
(support staff watching one thread) or for every message event (support staff's own threads,
filtered when delivered). The fan-out only routes: what a subscriber may actually receive is
decided again when it is delivered (resolvers/live/subscriptions.py), with the user's rights then.

Nothing here is the record: a client that was disconnected re-reads its threads and notifications
(or asks for the events it missed with `since`), and `prune_live_events` deletes rows after a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

from models import LiveEvent
from resolvers.live.publish import CHANNEL, MESSAGE
from service.clock import Clock
from service.config import Settings

log = logging.getLogger("autofin.live")

# How long live events are kept (the window a reconnecting client can replay with `since`).
RETENTION = timedelta(days=1)
# Rows read per poll or per batch of notifications.
BATCH = 500
# A subscriber that falls this far behind is dropped (its subscription ends; the client re-reads).
QUEUE_LIMIT = 1000
# After a lost LISTEN connection, re-read events created this long before the loss.
CATCH_UP_MARGIN = timedelta(seconds=30)
RECONNECT_MAX_SECONDS = 10.0


@dataclass(frozen=True)
class Event:
    """A live event as the fan-out hands it on (ids only; the subscriber loads the object)."""

    id: int
    user_id: int
    topic: str
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict) -> Event:
        return cls(id=row["id"], user_id=row["user_id"], topic=row["topic"], payload=row["payload"] or {})

    @property
    def thread_id(self) -> int | None:
        value = self.payload.get("thread")
        return value if isinstance(value, int) else None


@dataclass(eq=False)
class Subscriber:
    """One subscription's inbox. `overflowed` is set when it could not keep up."""

    user_id: int | None = None
    thread_id: int | None = None
    all_messages: bool = False
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True


class Fanout:
    """The per-process listener and the registry of this process's subscribers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.poll_seconds = max(settings.live_poll_seconds, 0.01)
        self._by_user: dict[int, set[Subscriber]] = {}
        self._by_thread: dict[int, set[Subscriber]] = {}
        self._all_messages: set[Subscriber] = set()
        self._task: asyncio.Task | None = None
        self._stop = asyncio.Event()
        # Ids handed out lately (PostgreSQL catch-up after a reconnect must not repeat them).
        self._recent: deque[int] = deque(maxlen=10_000)
        self._recent_set: set[int] = set()
        self.last_id = 0
        # Set once the listener is attached (LISTEN issued, or the first poll position read).
        self.ready = asyncio.Event()

    # ------------------------------------------------------------------ subscribers

    @contextlib.contextmanager
    def subscribe(self, *, user_id: int | None = None, thread_id: int | None = None,
                  all_messages: bool = False) -> Iterator[Subscriber]:
        """Register a subscriber for the duration of the block."""
        subscriber = Subscriber(user_id=user_id, thread_id=thread_id, all_messages=all_messages)
        if user_id is not None:
            self._by_user.setdefault(user_id, set()).add(subscriber)
        if thread_id is not None:
            self._by_thread.setdefault(thread_id, set()).add(subscriber)
        if all_messages:
            self._all_messages.add(subscriber)
        try:
            yield subscriber
        finally:
            for index, key in ((self._by_user, user_id), (self._by_thread, thread_id)):
                if key is not None and key in index:
                    index[key].discard(subscriber)
                    if not index[key]:
                        del index[key]
            self._all_messages.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        return len({s for group in (*self._by_user.values(), *self._by_thread.values(), self._all_messages)
                    for s in group})

    def dispatch(self, event: Event) -> None:
        """Hand `event` to every local subscriber it may concern (each at most once)."""
        if event.id in self._recent_set:
            return
        self._remember(event.id)
        self.last_id = max(self.last_id, event.id)
        targets: set[Subscriber] = set(self._by_user.get(event.user_id, ()))
        if event.topic == MESSAGE:
            targets |= self._all_messages
            if event.thread_id is not None:
                targets |= self._by_thread.get(event.thread_id, set())
        for subscriber in targets:
            subscriber.offer(event)

    def _remember(self, event_id: int) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(event_id)
        self._recent_set.add(event_id)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is not None:
            return
        self._stop.clear()
        runner = self._run_postgres if not self.settings.is_sqlite else self._run_sqlite
        self._task = asyncio.create_task(runner(), name="autofin-live-fanout")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self.ready.clear()

    async def _read_after(self, last_id: int) -> list[Event]:
        rows = await LiveEvent.filter(id__gt=last_id).order_by("id").limit(BATCH).values(
            "id", "user_id", "topic", "payload")
        return [Event.from_row(row) for row in rows]

    # ------------------------------------------------------------------ SQLite: polling

    async def _run_sqlite(self) -> None:
        while not self._stop.is_set():
            try:
                self.last_id = await LiveEvent.all().order_by("-id").first().values_list("id", flat=True) or 0
                break
            except Exception:
                log.exception("live fan-out could not read its start position")
                await self._pause(self.poll_seconds)
        self.ready.set()
        while not self._stop.is_set():
            try:
                while True:
                    events = await self._read_after(self.last_id)
                    for event in events:
                        self.dispatch(event)
                    if len(events) < BATCH:
                        break
            except Exception:
                log.exception("live fan-out poll failed")
            await self._pause(self.poll_seconds)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    # ------------------------------------------------------------------ PostgreSQL: LISTEN/NOTIFY

    async def _connect(self):
        import asyncpg

        credentials = expand_db_url(self.settings.database_url)["credentials"]
        return await asyncpg.connect(
            host=credentials.get("host"), port=credentials.get("port"), user=credentials.get("user"),
            password=credentials.get("password"), database=credentials.get("database"),
        )

    async def _run_postgres(self) -> None:
        delay = 0.2
        lost_at: datetime | None = None
        while not self._stop.is_set():
            notified: asyncio.Queue[int | None] = asyncio.Queue()
            connection = None
            try:
                connection = await self._connect()
                await self._listen(connection, notified)
                delay = 0.2
                if lost_at is not None:
                    await self._catch_up(lost_at - CATCH_UP_MARGIN)
                self.ready.set()
                lost_at = await self._drain(notified, connection)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live fan-out: the LISTEN connection failed")
                lost_at = lost_at or datetime.now(UTC)
            finally:
                self.ready.clear()
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.shield(connection.close(timeout=2))
            if not self._stop.is_set():
                await self._pause(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    @staticmethod
    async def _listen(connection, notified: asyncio.Queue) -> None:
        """LISTEN on CHANNEL: each notified id (and None when the connection ends) goes to `notified`."""

        def on_notify(_conn, _pid, _channel, payload: str) -> None:
            if payload.isdigit():
                notified.put_nowait(int(payload))

        connection.add_termination_listener(lambda _conn: notified.put_nowait(None))
        await connection.add_listener(CHANNEL, on_notify)

    async def _drain(self, notified: asyncio.Queue, connection) -> datetime:
        """Load and dispatch notified ids until the connection is lost; return when it was lost."""
        while True:
            first = await notified.get()
            if first is None or connection.is_closed():
                return datetime.now(UTC)
            ids = [first]
            while not notified.empty() and len(ids) < BATCH:
                more = notified.get_nowait()
                if more is None:
                    break
                ids.append(more)
            await self._load_and_dispatch(ids)

    async def _load_and_dispatch(self, ids: list[int]) -> None:
        wanted = [i for i in ids if i not in self._recent_set]
        if not wanted or not self.subscriber_count:
            # No local subscriber: nothing to read (the ids still count as seen).
            for event_id in wanted:
                self._remember(event_id)
            return
        rows = await LiveEvent.filter(id__in=wanted).order_by("id").values("id", "user_id", "topic", "payload")
        for row in rows:
            self.dispatch(Event.from_row(row))

    async def _catch_up(self, since: datetime) -> None:
        rows = await LiveEvent.filter(created_at__gte=since).order_by("id").limit(BATCH * 10).values(
            "id", "user_id", "topic", "payload")
        for row in rows:
            self.dispatch(Event.from_row(row))


async def prune_live_events(clock: Clock, *, older_than: timedelta = RETENTION) -> int:
    """Delete live events older than `older_than` (they are announcements, not the record)."""
    return await LiveEvent.filter(created_at__lt=clock.now() - older_than).delete()
