"""The interface every DNS filter client implements, and what they return."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import ipaddress
import json
from typing import Any

import aiohttp

from ..hosts import MAX_HOST, matches
from ..policy import DevicePolicy

# Every rule, group, client and comment Voice Guard writes carries this mark, so it only
# ever changes what is its own.
MARK = "voice_guard"


class FilterError(Exception):
    """The filter cannot be used; reason is a stable key for translations."""

    reason = "filter_error"


class FilterConnectionError(FilterError):
    """The filter does not answer, or answers with a server error (its status, if any)."""

    reason = "cannot_connect"

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the message and the HTTP status of a server error."""
        super().__init__(message)
        self.status = status


class FilterAuthError(FilterError):
    """The filter refuses the credentials."""

    reason = "invalid_auth"


class FilterRateLimitedError(FilterError):
    """The filter refuses logins for a while after too many failed attempts."""

    reason = "rate_limited"


class FilterLockedOutError(FilterRateLimitedError):
    """The filter locked this address out for a quarter of an hour (AdGuard Home)."""

    reason = "locked_out"


class FilterResponseError(FilterError):
    """The filter answers something this client does not understand."""

    reason = "unexpected_response"


@dataclass(frozen=True, slots=True)
class FilterInfo:
    """What the filter says about itself."""

    kind: str
    version: str
    protection_enabled: bool


@dataclass(slots=True)
class ReconcileResult:
    """What a reconcile did."""

    writes: int = 0
    # Desired patterns that were not in force before this reconcile, per device id.
    missing: dict[str, set[str]] = field(default_factory=dict)
    # Patterns that could not be applied (a clash with the user's own entries), per device.
    conflicts: dict[str, set[str]] = field(default_factory=dict)
    # The clients (addresses, MACs, names) each device's rules are written for: when they
    # change (an address learned), rules for the new ones were missing, not removed.
    clients: dict[str, tuple[str, ...]] = field(default_factory=dict)


# A lookup that carried a ClientID (DNS over HTTPS/TLS) is known by "<address> ClientID
# <id>", or "ClientID <id>" when only the ClientID tells whose it is (through a proxy): a
# path of its own, whose outcome says nothing about the device's plain lookups. One known
# by the ClientID alone may be another device's that shares it: it can disprove, never prove.
CLIENT_ID = "ClientID"


@dataclass(frozen=True, slots=True)
class BlockedQuery:
    """One lookup of a guarded device for one of its guarded patterns, and its outcome.

    blocked: the filter refused it, whatever refused it (Voice Guard's rule, a list, a
    blocked service); rule is what the filter reports as the rule that won, or its
    status. Not blocked: the filter answered it (status is the filter's word for how,
    "FORWARDED", "NotFilteredNotFound", ...), which is what disproves protection.
    """

    device_id: str
    host: str
    time: datetime
    client: str
    rule: str = ""
    blocked: bool = True


# Why a filter keeps a device's lookups out of its query log, so nothing proves them.
HIDDEN_LOG_OFF = "query_log_off"
HIDDEN_CLIENT_IGNORED = "client_not_logged"
HIDDEN_ADDRESSES = "client_addresses_hidden"
# Lookups of (some) guarded hosts are not logged: neither blocked nor answered ones show.
HIDDEN_DOMAINS = "domains_not_logged"
# Each of them leaves a guarded lookup that was answered unseen, so none allows a proof.
NO_PROOF = frozenset({HIDDEN_LOG_OFF, HIDDEN_CLIENT_IGNORED, HIDDEN_ADDRESSES, HIDDEN_DOMAINS})


@dataclass(slots=True)
class QueryLog:
    """What one read of the filter's query log found about the guarded devices.

    A lookup belongs to a device only by an address that is the device's alone (the
    filter clients say which); a persistent client's name or a subnet never attributes.
    """

    blocked: list[BlockedQuery] = field(default_factory=list)  # oldest first
    # Guarded lookups the filter answered, oldest first: each disproves protection.
    answered: list[BlockedQuery] = field(default_factory=list)
    # The newest lookup of any host from each device that this read saw.
    last_lookup: dict[str, datetime] = field(default_factory=dict)
    # Per device: why the filter hides (some of) its lookups (HIDDEN_* keys).
    hidden: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per device: the addresses whose lookups count as the device's.
    addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per device: the filter's clients that hold it and more (a subnet, other devices),
    # which neither name it in a rule nor count as its lookups.
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The newest entry read: the next read needs nothing older.
    newest: datetime | None = None
    # Per device: address families ("IPv4", "IPv6") the filter cannot tell the device's
    # addresses of, so its lookups over them are neither guarded by address nor seen.
    uncovered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The address families of every client whose lookups this read saw ("IPv6": the
    # home uses it, so a device's unknown IPv6 addresses may well ask).
    families_seen: set[str] = field(default_factory=set)
    # Per device whose lookups could not all be read (a catch-up that hit its bound):
    # from when on they were, so answered lookups before that are unseen.
    complete_since: dict[str, datetime] = field(default_factory=dict)
    # Per device, every lookup read (host, time, True blocked / False answered / None not
    # said), in the order read: what the destinations inventory counts.
    lookups: dict[str, list[tuple[str, datetime, bool | None]]] = field(default_factory=dict)

    def saw(self, device_id: str, when: datetime) -> None:
        """Note a lookup of the device (the newest one counts)."""
        last = self.last_lookup.get(device_id)
        self.last_lookup[device_id] = when if last is None else max(last, when)

    def count(  # noqa: PLR0913 - one log line's parts
        self,
        policy: DevicePolicy,
        host: str,
        when: datetime,
        client: str,
        blocked_by: str | None,
        *,
        answered_as: str | None = None,
    ) -> None:
        """Note one logged lookup of the device; a guarded one by its outcome.

        blocked_by is the filter's rule (or status) for a blocked lookup; answered_as the
        filter's status for an answered one; neither, for an outcome that says nothing
        (still in progress, say). Whatever rule blocked it, the device's patterns decide.
        """
        device_id = policy.device.device_id
        self.saw(device_id, when)
        name = host.lower().rstrip(".")
        if 0 < len(name) <= MAX_HOST:
            outcome = True if blocked_by is not None else False if answered_as is not None else None
            self.lookups.setdefault(device_id, []).append((name, when, outcome))
        if blocked_by is None and answered_as is None:
            return
        if not any(matches(host, pattern) for pattern in policy.hosts):
            return
        query = BlockedQuery(
            device_id=device_id,
            host=host,
            time=when,
            client=client,
            rule=blocked_by if blocked_by is not None else str(answered_as),
            blocked=blocked_by is not None,
        )
        (self.blocked if query.blocked else self.answered).append(query)

    def sort(self) -> None:
        """Put the lookups found in time order, oldest first."""
        self.blocked.sort(key=lambda q: q.time)
        self.answered.sort(key=lambda q: q.time)


# A read of the query log goes back to the newest entry read before. After a longer gap
# (the first read, Home Assistant stopped for a while) a filter client reads each device's
# own lookups (blocked and answered), by its addresses, up to CATCH_UP_LOOKUPS each.
FULL_READ_SPAN = timedelta(minutes=10)
CATCH_UP_LOOKUPS = 10_000
SETTINGS_TTL = 300.0  # seconds a client reuses the filter settings that hide lookups


def needs_catch_up(since: datetime) -> bool:
    """Whether a read back to since is a catch-up after a gap (see FULL_READ_SPAN)."""
    return datetime.now(UTC) - since > FULL_READ_SPAN


@dataclass(frozen=True, slots=True)
class NetworkClient:
    """A device the filter has seen on the network."""

    ip: str | None
    mac: str | None
    name: str | None
    vendor: str | None = None


class DnsFilter(ABC):
    """A DNS filter that can block host patterns for single devices."""

    kind: str
    # Set by verify(): per device id, the guarded patterns one of the user's own allow
    # entries lets through for the device, and that entry (it wins over our rules).
    user_allows: dict[str, dict[str, str]]

    def __init__(self) -> None:
        """Start with nothing read."""
        self.user_allows = {}

    async def check_login(self) -> None:  # noqa: B027 - optional: most filters need none
        """Test the credentials before use, where the filter can say more than a 401."""

    def begin_update(self) -> None:  # noqa: B027 - most filters keep nothing per update
        """Start a new update: what the last one read is not reused."""

    @abstractmethod
    async def info(self) -> FilterInfo:
        """Check the connection and credentials; describe the filter."""

    @abstractmethod
    async def reconcile(self, policies: Sequence[DevicePolicy]) -> ReconcileResult:
        """Make the filter's Voice Guard rules exactly the given policies; keep all others.

        Devices Voice Guard guarded before but not in policies lose their rules.
        """

    @abstractmethod
    async def verify(self, policies: Sequence[DevicePolicy]) -> dict[str, dict[str, bool]]:
        """Read the rules back: per device id, per pattern, whether it is in force."""

    @abstractmethod
    async def query_log(
        self,
        policies: Sequence[DevicePolicy],
        since: datetime,
        *,
        find_last: Collection[str] = (),
        window_start: datetime | None = None,
        keep_answered: Collection[str] | None = None,
    ) -> QueryLog:
        """Read the query log back to since (exclusive): blocked lookups and who looked up.

        Only entries newer than since are read, so a poll costs what happened since the
        last one. The devices in find_last (not seen before) have their most recent lookup
        since window_start (default: since) searched for separately; after a long gap
        (the first read, a stop) each device's lookups are read by its addresses, at most
        CATCH_UP_LOOKUPS each (complete_since says where such a read stopped). Only the
        devices in keep_answered (all if None) are read so: those whose rules were in
        force before the gap. The others have no evidence an answered lookup could
        change; their blocked lookups are read for everyone at once, as cheaply as the
        filter allows (the first start of a home with many devices).
        """

    @abstractmethod
    async def clients(self) -> list[NetworkClient]:
        """Devices the filter knows on the network."""

    @property
    def memory(self) -> dict[str, Any]:
        """What the client needs to remember across restarts (JSON); most need nothing."""
        return {}

    def remember(self, memory: dict[str, Any]) -> None:  # noqa: B027 - most need nothing
        """Take back what memory said, after a restart."""

    async def close(self) -> None:  # noqa: B027 - most filters hold no session
        """Release sessions held on the filter."""


# The largest answer read from a filter (a query-log page is well under 1 MB); parsing
# this much JSON takes a few tens of milliseconds.
MAX_BODY = 4 * 2**20


async def http_call(  # noqa: PLR0913 - the parts of one request
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    where: str,
    path: str,
    timeout: float,  # noqa: ASYNC109 - each client passes its own TIMEOUT
    params: dict[str, str] | list[tuple[str, str]] | None = None,
    payload: Any = None,
    headers: dict[str, str] | None = None,
    ssl: bool = True,
) -> tuple[int, bytes]:
    """Send one request to a filter; unreachable, hanging or failing (5xx) raises.

    where names the filter in messages ("Pi-hole at http://pi.hole").
    """
    try:
        async with (
            asyncio.timeout(timeout),
            session.request(
                method, url, params=params, json=payload, headers=headers, ssl=ssl
            ) as response,
        ):
            status = response.status
            body = await _bounded_body(response, where, path)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise FilterConnectionError(f"{where}: {err!r}") from err
    if status >= 500:  # noqa: PLR2004
        raise FilterConnectionError(f"{where} answered {status} to {path}", status)
    return status, body


async def _bounded_body(response: aiohttp.ClientResponse, where: str, path: str) -> bytes:
    """Read an answer of at most MAX_BODY bytes; a bigger one is refused while it comes.

    A query-log page is well under 1 MB; 150 MB of JSON or an endless chunked body from a
    peer on the network must cost neither memory nor the event loop's time.
    """
    too_big = FilterResponseError(f"{where} answered more than {MAX_BODY // 2**20} MB to {path}")
    if (response.content_length or 0) > MAX_BODY:
        raise too_big
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY:
            raise too_big
    return bytes(body)


def objects(value: Any) -> list[dict[str, Any]]:
    """Return the JSON objects of a list in a filter's answer (null, numbers: skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """Return a string of a filter's answer, or None for anything else (null, numbers)."""
    return value if isinstance(value, str) else None


def decode_json(body: bytes, where: str, path: str) -> Any:
    """Decode a filter's JSON answer; anything else is an unexpected response."""
    try:
        return json.loads(body)
    except ValueError as err:
        raise FilterResponseError(f"{where} sent no JSON for {path}") from err


def families(addresses: Collection[str]) -> set[str]:
    """Return the address families ("IPv4", "IPv6") among addresses (others skipped)."""
    found = set()
    for address in addresses:
        try:
            found.add(f"IPv{ipaddress.ip_address(address).version}")
        except ValueError:
            continue
    return found


def is_ip(value: str) -> bool:
    """Whether value is an IP address in canonical form (else it is a MAC address).

    A scoped IPv6 address ("fe80::1%eth0") is none: a filter sees its clients without the
    scope, and a rule written with it would match no lookup.
    """
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return "%" not in value and str(address) == value


def normalize_ip(value: str) -> str:
    """Return the canonical form of an IP address typed by a user, or raise ValueError.

    The scope of a link-local IPv6 address is dropped (the filter never sees it).
    """
    address = ipaddress.ip_address(value.strip().split("%", 1)[0])
    return str(address)
