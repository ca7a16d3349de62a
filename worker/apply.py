"""One Postgres transaction per group of stream entries: the heart of exactly-once counting.

Inside one transaction: lock and check the shard's cursor, drop batches already applied (by
batch id), COPY the click rows, upsert the quarter-hour rollups and the account and daily rollups
summed from them (0012) with the visitors' sketches merged into theirs (0013), add to the links'
click_count and bot_clicks, queue the clicks' webhook deliveries (0021), record poison entries,
and move the cursor. Either all of it commits or none of it does, so after a crash at any instant
the cursor says exactly what was counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, NamedTuple, TypeVar

from common.db import Connection
from common.records import is_orphan
from common.useragents import DeviceType
from common.visitors import Sketch, merged, new_sketch
from common.weeks import monday_of
from worker.entries import Entry
from worker.orphans import ORPHAN_COLUMNS, orphan_rows
from worker.stream_ids import after
from worker.webhooks import queue_click_deliveries


class ClickRow(NamedTuple):
    """One row of the clicks table, fields in COPY's column order (they name the columns)."""

    link_id: int
    clicked_at: datetime
    shard: int
    stream_id: str
    position: int  # of the click in its stream entry's batch
    ip: bytes | None  # binary inet, COPYed as it is (see worker.inet)
    ip_prefix: bytes | None
    visitor_hash: bytes
    country: str
    city: str
    referrer: str
    referrer_host: str
    browser: str
    os: str
    device: DeviceType
    is_bot: bool
    user_agent: str
    route: str  # "" unless the link is routed (common/routing.py)


CLICK_COLUMNS: Final = ClickRow._fields

# (link id, bucket, is_bot, country, city, referrer host, browser, os, device, route): clicks alike in
# every rollup. A plain tuple, not a NamedTuple: one is built for every click, and tuple literals are
# several times cheaper.
_Combo = tuple[int, datetime, bool, str, str, str, str, str, str, str]
# The route a click of a routed link took is a breakdown of that link only: a route is named by its
# link's rules or variants, so an account-wide count of "rule:mobile" would add unrelated rules up.
LINK_ONLY_DIMENSIONS: Final = frozenset({"route"})


# Rollup rows are per UTC quarter hour: every UTC offset in use is a whole number of quarter hours,
# so every local hour, day, week and month is a union of whole rows (admin/analytics.py).
BUCKET_SECONDS: Final = 15 * 60


class DimensionKey(NamedTuple):
    """The key of a click_dimension_rollups row."""

    link_id: int
    dimension: str
    bucket: datetime
    is_bot: bool
    value: str


# (link or owner id, quarter hour, is_bot): a row of click_rollups or owner_click_rollups; the quarter
# hour is the start of the clicks' UTC quarter hour. Also (owner id, hour, is_bot): owner_click_hours.
QuarterKey = tuple[int, datetime, bool]
# (link or owner id, UTC day, is_bot): a row of click_days or owner_click_days.
DayKey = tuple[int, date, bool]
CountsKey = TypeVar("CountsKey", QuarterKey, DayKey)
# (link or owner id, dimension, UTC quarter hour, day or week, is_bot, value): a row of
# owner_dimension_rollups, click_dimension_days, owner_dimension_days, click_dimension_weeks or
# owner_dimension_weeks (a datetime is a date, so one type serves all five).
DimensionRow = tuple[int, str, date, bool, str]


class FailedEntry(NamedTuple):
    """A row of failed_click_entries: what could not be applied, kept with its payload."""

    shard: int
    stream_id: str
    batch_id: str | None
    error: str
    payload: bytes | None


class CursorMoved(Exception):
    """Another worker applied entries of this shard since we read its cursor; re-read it."""

    def __init__(self, *, shard: int, expected: str, found: str | None) -> None:
        super().__init__(f"cursor of shard {shard} is {found}, expected {expected}")
        self.found = found


@dataclass(slots=True)
class Applied:
    """What one transaction did."""

    last_id: str
    clicks: int = 0
    duplicate_batches: int = 0
    unknown_links: int = 0
    orphan_visits: int = 0  # 404s the edge recorded (worker/orphans.py)
    failed: int = 0
    oldest_ms: int | None = None  # epoch ms of the oldest click applied, for the lag statistic
    exhausted_keys: list[str] = field(default_factory=list)  # edge keys (common/domains.py) of used-up links
    # For the live feed (worker/feed.py): the entries counted, and the owner of each counted link (by edge key).
    counted: list[Entry] = field(default_factory=list)
    owners: dict[str, int | None] = field(default_factory=dict)
    webhook_deliveries: int = 0  # click deliveries queued (worker/webhooks.py)


@dataclass(slots=True)
class _Rollups:
    clicks: Counter[QuarterKey] = field(default_factory=Counter)  # click_rollups
    visitors: dict[QuarterKey, Sketch] = field(default_factory=dict)
    dimensions: Counter[DimensionKey] = field(default_factory=Counter)
    links: Counter[int] = field(default_factory=Counter)
    # The bots' share of ``links``: links.bot_clicks, so a link shows human and bot clicks apart.
    bot_links: Counter[int] = field(default_factory=Counter)


@dataclass(slots=True)
class _AccountRollups:
    """What a batch adds to the account rollups, the daily rows (0012), their sketches (0013), the weekly
    dimension rows (0015), the links' weekly rows (0023) and the accounts' hourly rows (0024)."""

    clicks: Counter[QuarterKey] = field(default_factory=Counter)  # owner_click_rollups
    visitors: dict[QuarterKey, list[Sketch]] = field(default_factory=dict)
    hour_clicks: Counter[QuarterKey] = field(default_factory=Counter)  # owner_click_hours (0024), keyed by hour
    hour_visitors: dict[QuarterKey, list[Sketch]] = field(default_factory=dict)
    day_clicks: Counter[DayKey] = field(default_factory=Counter)  # click_days
    day_visitors: dict[DayKey, list[Sketch]] = field(default_factory=dict)
    week_clicks: Counter[DayKey] = field(default_factory=Counter)  # click_weeks (0023), keyed by Monday
    owner_day_clicks: Counter[DayKey] = field(default_factory=Counter)  # owner_click_days
    owner_day_visitors: dict[DayKey, list[Sketch]] = field(default_factory=dict)
    owner_dimensions: Counter[DimensionRow] = field(default_factory=Counter)  # per quarter hour
    link_days: Counter[DimensionRow] = field(default_factory=Counter)
    owner_days: Counter[DimensionRow] = field(default_factory=Counter)
    link_weeks: Counter[DimensionRow] = field(default_factory=Counter)  # per UTC week from Monday (0015)
    owner_weeks: Counter[DimensionRow] = field(default_factory=Counter)


async def apply_entries(conn: Connection, *, shard: int, expected_cursor: str, entries: list[Entry]) -> Applied:
    """Apply ``entries`` (in stream order) of ``shard`` whose cursor must be ``expected_cursor``.

    Raises:
        CursorMoved: the stored cursor is not ``expected_cursor`` (nothing was written).
        asyncpg.PostgresError: the transaction was rolled back; the caller retries or bisects.
    """
    async with conn.transaction():
        await _lock_cursor(conn, shard=shard, expected=expected_cursor)
        # Whatever the caller read, only entries after the stored cursor are applied: a read that
        # started behind it (a retry after a lost connection) cannot count anything twice.
        entries = [entry for entry in entries if after(entry.stream_id, expected_cursor)]
        if not entries:
            return Applied(last_id=expected_cursor)
        result = Applied(last_id=entries[-1].stream_id)
        fresh = await _fresh_entries(conn, entries)
        result.duplicate_batches = len(entries) - len(fresh)
        edge_keys = {key for entry in fresh for _, key, _ in entry.clicks if not is_orphan(key)}
        links, owners = await _lock_links(conn, edge_keys)
        result.counted = fresh
        result.owners = {key: owners.get(link_id) for key, link_id in links.items()}
        rows, visitor_keys = _click_rows(shard=shard, entries=fresh, links=links)
        orphans = orphan_rows(shard=shard, entries=fresh)
        result.clicks = len(rows)
        result.orphan_visits = len(orphans)
        result.unknown_links = sum(len(entry.clicks) for entry in fresh) - len(rows) - len(orphans)
        if orphans:
            await conn.copy_records_to_table("orphan_visits", records=orphans, columns=ORPHAN_COLUMNS)
        if rows:
            result.oldest_ms = int(min(row.clicked_at for row in rows).timestamp() * 1000)
            await conn.copy_records_to_table("clicks", records=rows, columns=CLICK_COLUMNS)
            rollups = _rollups(rows, visitor_keys)
            await _upsert_rollups(conn, rollups, owners)
            await _upsert_account_rollups(conn, _account_rollups(rollups, owners), owners)
            result.exhausted_keys = await _count_links(conn, rollups.links, rollups.bot_links)
            result.webhook_deliveries = await queue_click_deliveries(conn, fresh, result.owners)
        result.failed = await _record_failures(conn, shard=shard, entries=entries)
        await conn.execute(
            "UPDATE stream_cursors SET last_id = $2, applied = applied + $3, updated_at = now() WHERE shard = $1",
            shard,
            result.last_id,
            result.clicks,
        )
    return result


async def record_poison(conn: Connection, *, shard: int, expected_cursor: str, entry: Entry, error: str) -> None:
    """Skip an entry Postgres refuses even on its own: record it as failed and move the cursor past it.

    Raises CursorMoved like ``apply_entries``.
    """
    async with conn.transaction():
        await _lock_cursor(conn, shard=shard, expected=expected_cursor)
        if not after(entry.stream_id, expected_cursor):
            return
        failed = FailedEntry(shard, entry.stream_id, entry.batch_id, f"rejected by postgres: {error}"[:2000], entry.raw)
        await _insert_failed(conn, [failed])
        await conn.execute(
            "UPDATE stream_cursors SET last_id = $2, updated_at = now() WHERE shard = $1", shard, entry.stream_id
        )


async def _lock_cursor(conn: Connection, *, shard: int, expected: str) -> None:
    """Lock the shard's cursor row until the transaction ends, after checking it is ``expected``.

    Raises:
        CursorMoved: it is not (or the row is missing).
    """
    found = await conn.fetchval("SELECT last_id FROM stream_cursors WHERE shard = $1 FOR UPDATE", shard)
    if found != expected:
        raise CursorMoved(shard=shard, expected=expected, found=found)


async def _fresh_entries(conn: Connection, entries: list[Entry]) -> list[Entry]:
    """The entries whose batch id has not been applied before (by any shard); records the new ids."""
    # Sorted, so two workers inserting the same ids (a re-sent batch on two shards) lock them in one order.
    ids = sorted({entry.batch_id for entry in entries if entry.batch_id is not None})
    new: set[str] = set()
    if ids:
        new = {
            row["batch_id"]
            for row in await conn.fetch(
                "INSERT INTO applied_batches (batch_id) SELECT unnest($1::text[]) "
                "ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
                ids,
            )
        }
    fresh = []
    for entry in entries:
        if entry.batch_id is None:
            fresh.append(entry)  # an entry without an id cannot be deduplicated; count it
        elif entry.batch_id in new:
            new.discard(entry.batch_id)  # a second copy in this very read is a duplicate too
            fresh.append(entry)
    return fresh


async def _lock_links(conn: Connection, edge_keys: set[str]) -> tuple[dict[str, int], dict[int, int]]:
    """The ids of the links with ``edge_keys`` (a click's "code" is its link's edge key,
    common/domains.py) and each owned link's owner id, links and owners locked.

    Every rollup row is keyed by a link or an owner, so these locks make the transaction the only
    writer of the rows it adds to: the visitor sketches can be read, merged in Python and written
    back (``_upsert_counts``) without another worker's visitors being lost in between.
    """
    if not edge_keys:
        return {}, {}
    # Rows are locked in id order, links before owners, so two workers cannot deadlock.
    rows = await conn.fetch(
        "SELECT id, edge_key, owner_id FROM links WHERE edge_key = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE",
        list(edge_keys),
    )
    # The lock also pins owner_id for the transaction (a link never changes owner; see 0012).
    owners = {row["id"]: row["owner_id"] for row in rows if row["owner_id"] is not None}
    if owners:
        await conn.execute(
            "SELECT FROM users WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE", list(set(owners.values()))
        )
    return {row["edge_key"]: row["id"] for row in rows}, owners


def _click_rows(*, shard: int, entries: list[Entry], links: dict[str, int]) -> tuple[list[ClickRow], list[int]]:
    """The clicks' rows, and each row's visitor key (common.visitors) at the same index."""
    rows: list[ClickRow] = []
    visitor_keys: list[int] = []
    for entry in entries:
        stream_id = entry.stream_id
        for position, edge_key, click in entry.clicks:
            link_id = links.get(edge_key)
            if link_id is None:
                continue  # the link was deleted after the redirect was served
            agent = click.agent
            # Positional: keywords make this call, once per click, three times slower.
            rows.append(
                ClickRow(
                    link_id,
                    click.clicked_at,
                    shard,
                    stream_id,
                    position,
                    click.ip,
                    click.ip_prefix,
                    click.visitor_hash,
                    click.country,
                    click.city,
                    click.referrer,
                    click.referrer_host,
                    agent.browser,
                    agent.os,
                    agent.device,
                    agent.is_bot,
                    click.user_agent,
                    click.route,
                )
            )
            visitor_keys.append(click.visitor_key)
    return rows, visitor_keys


def _rollups(rows: list[ClickRow], visitor_keys: list[int]) -> _Rollups:
    # One bucket datetime per quarter hour of the batch, not one per click.
    buckets: dict[int, datetime] = {}
    # Clicks alike in every rollup are counted together first: one Counter update per click
    # instead of one per dimension (this loop is the worker's hottest).
    combos: Counter[_Combo] = Counter()
    sketches: dict[QuarterKey, Sketch] = {}
    for row, visitor in zip(rows, visitor_keys, strict=True):
        link_id = row.link_id
        clicked_at = row.clicked_at
        bucket_number = int(clicked_at.timestamp()) // BUCKET_SECONDS
        bucket = buckets.get(bucket_number)
        if bucket is None:
            bucket = buckets[bucket_number] = quarter_hour(clicked_at)
        combo = (
            link_id,
            bucket,
            row.is_bot,
            row.country,
            row.city,
            row.referrer_host,
            row.browser,
            row.os,
            row.device,
            row.route,
        )
        combos[combo] += 1
        row_key = (link_id, bucket, row.is_bot)
        sketch = sketches.get(row_key)
        if sketch is None:
            sketch = sketches[row_key] = new_sketch()
        sketch.update(visitor)
    rollups = _sum_combos(combos)
    rollups.visitors = sketches
    return rollups


def quarter_hour(instant: datetime) -> datetime:
    """The start of the UTC quarter hour holding ``instant`` (a UTC datetime): its rollup bucket."""
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def _sum_combos(combos: Counter[_Combo]) -> _Rollups:
    """Spread the clicks counted per combination over the rollup rows."""
    rollups = _Rollups()
    dims = rollups.dimensions
    for combo, count in combos.items():
        link_id, bucket, is_bot, country, city, host, browser, os_name, device, route = combo
        key = (link_id, bucket, is_bot)
        rollups.clicks[key] += count
        rollups.links[link_id] += count
        if is_bot:
            rollups.bot_links[link_id] += count
        dims[DimensionKey(link_id, "country", bucket, is_bot, country)] += count
        dims[DimensionKey(link_id, "city", bucket, is_bot, f"{country}|{city}" if city else "")] += count
        dims[DimensionKey(link_id, "referrer", bucket, is_bot, host)] += count
        dims[DimensionKey(link_id, "browser", bucket, is_bot, browser)] += count
        dims[DimensionKey(link_id, "os", bucket, is_bot, os_name)] += count
        dims[DimensionKey(link_id, "device", bucket, is_bot, device)] += count
        if route:  # unrouted links, nearly all of them, keep no rows of it
            dims[DimensionKey(link_id, "route", bucket, is_bot, route)] += count
    return rollups


async def _upsert_rollups(conn: Connection, rollups: _Rollups, owners: dict[int, int]) -> None:
    visitors = {key: [sketch] for key, sketch in rollups.visitors.items()}
    await _upsert_counts(conn, "click_rollups", "link_id", "bucket", rollups.clicks, visitors, owners)
    dims = sorted(rollups.dimensions)
    await conn.execute(
        """INSERT INTO click_dimension_rollups (link_id, dimension, bucket, is_bot, value, clicks)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::boolean[], $5::text[], $6::bigint[])
           ON CONFLICT (link_id, dimension, bucket, is_bot, value) DO UPDATE
           SET clicks = click_dimension_rollups.clicks + EXCLUDED.clicks""",
        [key.link_id for key in dims],
        [key.dimension for key in dims],
        [key.bucket for key in dims],
        [key.is_bot for key in dims],
        [key.value for key in dims],
        [rollups.dimensions[key] for key in dims],
    )


def _account_rollups(rollups: _Rollups, owners: dict[int, int]) -> _AccountRollups:
    """Sum the batch's quarter-hour rows per owner and per UTC hour and day, and gather their sketches.

    Summed from the rows already counted, not per click: there are far fewer of them, and the hot
    loop in ``_rollups`` stays as it is.
    """
    account = _AccountRollups()
    # Buckets are UTC datetimes, so a bucket's date() is its UTC day and its minute 0 its UTC hour; one
    # per quarter hour of the batch.
    buckets = {bucket for _, bucket, _ in rollups.clicks}
    days = {bucket: bucket.date() for bucket in buckets}
    hours = {bucket: bucket.replace(minute=0) for bucket in buckets}
    for key, count in rollups.clicks.items():
        link_id, bucket, is_bot = key
        sketch = rollups.visitors[key]
        day_key = (link_id, days[bucket], is_bot)
        account.day_clicks[day_key] += count
        account.day_visitors.setdefault(day_key, []).append(sketch)
        owner = owners.get(link_id)
        if owner is not None:  # a link without an owner is in no account
            owner_key = (owner, bucket, is_bot)
            account.clicks[owner_key] += count
            account.visitors.setdefault(owner_key, []).append(sketch)
            owner_hour = (owner, hours[bucket], is_bot)
            account.hour_clicks[owner_hour] += count
            account.hour_visitors.setdefault(owner_hour, []).append(sketch)
            owner_day = (owner, days[bucket], is_bot)
            account.owner_day_clicks[owner_day] += count
            account.owner_day_visitors.setdefault(owner_day, []).append(sketch)
    for (link_id, day, is_bot), count in account.day_clicks.items():
        account.week_clicks[(link_id, monday_of(day), is_bot)] += count
    _sum_dimension_rows(rollups.dimensions, owners, days, account)
    return account


def _sum_dimension_rows(
    dimensions: Counter[DimensionKey], owners: dict[int, int], days: dict[datetime, date], account: _AccountRollups
) -> None:
    for (link_id, dimension, bucket, is_bot, value), count in dimensions.items():
        day = days[bucket]
        account.link_days[(link_id, dimension, day, is_bot, value)] += count
        owner = owners.get(link_id)
        if owner is not None and dimension not in LINK_ONLY_DIMENSIONS:
            account.owner_dimensions[(owner, dimension, bucket, is_bot, value)] += count
            account.owner_days[(owner, dimension, day, is_bot, value)] += count
    # From the day rows, fewer than the quarter-hour ones; a batch's clicks lie in a day or two.
    _sum_weeks(account.link_days, account.link_weeks)
    _sum_weeks(account.owner_days, account.owner_weeks)


def _sum_weeks(days: Counter[DimensionRow], weeks: Counter[DimensionRow]) -> None:
    for (subject, dimension, day, is_bot, value), count in days.items():
        weeks[(subject, dimension, monday_of(day), is_bot, value)] += count


async def _upsert_account_rollups(conn: Connection, account: _AccountRollups, owners: dict[int, int]) -> None:
    # Sorted keys, and always these tables in this order: workers of different shards add to the
    # same owner's rows (links of one account), and one lock order keeps them from deadlocking.
    await _upsert_counts(conn, "owner_click_rollups", "owner_id", "bucket", account.clicks, account.visitors)
    await _upsert_counts(conn, "owner_click_hours", "owner_id", "hour", account.hour_clicks, account.hour_visitors)
    await _upsert_counts(conn, "click_days", "link_id", "day", account.day_clicks, account.day_visitors, owners)
    await _upsert_link_weeks(conn, account.week_clicks, owners)
    await _upsert_counts(
        conn, "owner_click_days", "owner_id", "day", account.owner_day_clicks, account.owner_day_visitors
    )
    await _upsert_dimension_rows(conn, "owner_dimension_rollups", "owner_id", "bucket", account.owner_dimensions)
    await _upsert_dimension_rows(conn, "click_dimension_days", "link_id", "day", account.link_days)
    await _upsert_dimension_rows(conn, "owner_dimension_days", "owner_id", "day", account.owner_days)
    await _upsert_dimension_rows(conn, "click_dimension_weeks", "link_id", "week", account.link_weeks)
    await _upsert_dimension_rows(conn, "owner_dimension_weeks", "owner_id", "week", account.owner_weeks)


async def _upsert_counts(
    conn: Connection,
    table: str,
    subject: str,
    period: str,
    clicks: Counter[CountsKey],
    visitors: dict[CountsKey, list[Sketch]],
    owners: dict[int, int] | None = None,
) -> None:
    """Add ``clicks`` to ``table`` (click_rollups, owner_click_rollups, owner_click_hours, click_days or
    owner_click_days), whose ``subject`` is a link or owner column and ``period`` a quarter hour, hour or
    UTC day column, and
    merge ``visitors`` (the batch's sketches per row) into the rows' sketches. ``owners`` (link id ->
    owner id) fills a new per-link row's owner_id (0014), which an account's top links are read by.

    Postgres cannot merge sketches, so the rows' sketches are read, merged here and written back
    with the clicks in one upsert: safe because the transaction holds the lock of every link and
    owner it writes rows of (``_lock_links``), so no other worker writes them in between.
    """
    keys = sorted(clicks)
    if not keys:
        return
    period_type = "date" if period == "day" else "timestamptz"
    columns = (
        [subject_id for subject_id, _, _ in keys],
        [when for _, when, _ in keys],
        [is_bot for _, _, is_bot in keys],
    )
    stored = await conn.fetch(
        f"""SELECT t.{subject}, t.{period}, t.is_bot, t.visitor_sketch
            FROM unnest($1::bigint[], $2::{period_type}[], $3::boolean[]) AS k(id, period, is_bot)
            JOIN {table} t ON t.{subject} = k.id AND t.{period} = k.period AND t.is_bot = k.is_bot""",
        *columns,
    )
    sketches: dict[object, bytes | None] = {(row[0], row[1], row[2]): row[3] for row in stored}
    owner_column, owner_values = (", owner_id", ", $6::bigint[]") if owners is not None else ("", "")
    await conn.execute(
        f"""INSERT INTO {table} ({subject}, {period}, is_bot, clicks, visitor_sketch{owner_column})
            SELECT * FROM unnest($1::bigint[], $2::{period_type}[], $3::boolean[], $4::bigint[], $5::bytea[]
                                 {owner_values})
            ON CONFLICT ({subject}, {period}, is_bot) DO UPDATE
            SET clicks = {table}.clicks + EXCLUDED.clicks, visitor_sketch = EXCLUDED.visitor_sketch""",
        *columns,
        [clicks[key] for key in keys],
        [merged(sketches.get(key), *visitors[key]) for key in keys],
        *([[owners.get(link_id) for link_id, _, _ in keys]] if owners is not None else []),
    )


async def _upsert_link_weeks(conn: Connection, clicks: Counter[DayKey], owners: dict[int, int]) -> None:
    """Add ``clicks`` to click_weeks (keyed by link, Monday and is_bot); a new row gets its link's owner."""
    keys = sorted(clicks)
    if not keys:
        return
    await conn.execute(
        """INSERT INTO click_weeks (link_id, week, is_bot, clicks, owner_id)
           SELECT * FROM unnest($1::bigint[], $2::date[], $3::boolean[], $4::bigint[], $5::bigint[])
           ON CONFLICT (link_id, week, is_bot) DO UPDATE SET clicks = click_weeks.clicks + EXCLUDED.clicks""",
        [link_id for link_id, _, _ in keys],
        [week for _, week, _ in keys],
        [is_bot for _, _, is_bot in keys],
        [clicks[key] for key in keys],
        [owners.get(link_id) for link_id, _, _ in keys],
    )


async def _upsert_dimension_rows(
    conn: Connection, table: str, subject: str, period: str, counts: Counter[DimensionRow]
) -> None:
    """Add ``counts`` (keyed by DimensionRow) to ``table``, whose ``subject`` is a link or owner
    column and ``period`` a quarter hour (``bucket``), UTC day (``day``) or UTC week (``week``) column."""
    rows = sorted(counts.items())
    if not rows:
        return
    period_type = "timestamptz" if period == "bucket" else "date"
    await conn.execute(
        f"""INSERT INTO {table} ({subject}, dimension, {period}, is_bot, value, clicks)
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::{period_type}[], $4::boolean[], $5::text[],
                                 $6::bigint[])
            ON CONFLICT ({subject}, dimension, {period}, is_bot, value) DO UPDATE
            SET clicks = {table}.clicks + EXCLUDED.clicks""",
        [key[0] for key, _ in rows],
        [key[1] for key, _ in rows],
        [key[2] for key, _ in rows],
        [key[3] for key, _ in rows],
        [key[4] for key, _ in rows],
        [count for _, count in rows],
    )


async def _count_links(conn: Connection, counts: Counter[int], bots: Counter[int]) -> list[str]:
    """Add the clicks to links.click_count (all of them: max_clicks counts bots too) and their bots'
    share to links.bot_clicks; returns the edge keys of the links this batch took to their max_clicks."""
    ids = sorted(counts)
    # One statement for both columns: they move together, so click_count - bot_clicks is always the
    # human clicks the rollups hold.
    rows = await conn.fetch(
        """UPDATE links SET click_count = links.click_count + v.n, bot_clicks = links.bot_clicks + v.bots
           FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(id, n, bots)
           WHERE links.id = v.id
           RETURNING links.edge_key, links.click_count, links.max_clicks, v.n""",
        ids,
        [counts[link_id] for link_id in ids],
        [bots.get(link_id, 0) for link_id in ids],
    )
    return [
        row["edge_key"]
        for row in rows
        if row["max_clicks"] is not None and row["click_count"] - row["n"] < row["max_clicks"] <= row["click_count"]
    ]


async def _record_failures(conn: Connection, *, shard: int, entries: list[Entry]) -> int:
    """Keep what could not be read from ``entries`` (see worker.entries.Failure); returns how many."""
    failed = [
        FailedEntry(shard, entry.stream_id, entry.batch_id, failure.error, failure.payload)
        for entry in entries
        for failure in entry.failures
    ]
    if failed:
        await _insert_failed(conn, failed)
    return len(failed)


async def _insert_failed(conn: Connection, failed: list[FailedEntry]) -> None:
    await conn.executemany(
        "INSERT INTO failed_click_entries (shard, stream_id, batch_id, error, payload) VALUES ($1, $2, $3, $4, $5)",
        failed,
    )
