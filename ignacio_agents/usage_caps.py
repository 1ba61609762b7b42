"""Token caps, checked before a turn starts, that hold under concurrent turns.

Caps apply per participant (the cohort's participant caps, else ``PARTICIPANT_*_TOKEN_CAP``),
per cohort (its totals) and to everyone (``GLOBAL_*_TOKEN_CAP``), by UTC day and month. A turn
is let through while every applicable scope has spent *and reserved* less than its cap, and it
then reserves ``USAGE_TURN_RESERVATION_TOKENS`` until its usage is accounted. The check and the
reservation run under transaction-level advisory locks on each scope (taken in one order, so
two turns never deadlock), so concurrent turns are decided one after another: at the edge of a
cap exactly one turn gets through, and a cap is overshot by at most what that turn spends
beyond its reservation. A hold whose turn died (a crashed worker) expires by itself.

An admin can lift the participant caps for one person until a time (``lift``); cohort and
global caps still apply to them, since those protect the program's budget, not one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from ignacio_agents.errors import RateLimited
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.cohorts import StoredCohort


class UsageCapReached(RateLimited):
    """Over a token cap: no answer until ``resets_at``."""

    code = "usage_cap_reached"

    def __init__(self, *, scope: str, period: str, resets_at: datetime, now: datetime):
        self.scope, self.period, self.resets_at = scope, period, resets_at
        when = resets_at.strftime("%Y-%m-%d %H:%M UTC")
        whose = {"participant": "your", "cohort": "your cohort's",
                 "global": "the program's"}[scope]
        super().__init__(
            f"You have reached {whose} {'daily' if period == 'day' else 'monthly'} limit for "
            f"Ignacio. It resets at {when}; your messages are kept until then.",
            retry_after=max(1, int((resets_at - now).total_seconds())),
        )


class Unread:
    """Not read yet (a cohort may be None: the participant is in none)."""


UNREAD = Unread()


@dataclass(frozen=True)
class Hold:
    """A turn's reservation: account its usage with ``hold_id`` to release it (no id: no cap
    applied, nothing was reserved)."""

    id: UUID | None
    user_id: UUID
    cohort_id: UUID | None
    day: date


@dataclass(frozen=True)
class _Cap:
    scope: str  # participant | cohort | global
    period: str  # day | month
    limit: int
    user_id: UUID | None
    cohort_id: UUID | None


def resets_at(period: str, now: datetime) -> datetime:
    """The start of the next UTC day or month."""
    today = now.astimezone(UTC).date()
    if period == "day":
        nxt = today + timedelta(days=1)
    else:
        nxt = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(nxt, time(), tzinfo=UTC)


def notice_text(exc: UsageCapReached, language: str | None) -> str:
    """The once-a-day channel notice, in the participant's language."""
    when = exc.resets_at.strftime("%Y-%m-%d %H:%M UTC")
    if (language or "es").startswith("es"):
        limit = "diario" if exc.period == "day" else "mensual"
        return (f"Has llegado al límite {limit} de uso de Ignacio. Se renueva el {when}; "
                "guardamos tus mensajes y podrás seguir entonces.")
    limit = "daily" if exc.period == "day" else "monthly"
    return (f"You have reached your {limit} usage limit for Ignacio. It resets at {when}; "
            "your messages are kept and you can continue then.")


class UsageCaps:
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings

    def now(self) -> datetime:
        return datetime.now(UTC)

    def _caps(self, user_id: UUID, cohort: StoredCohort | None, lifted: bool) -> list[_Cap]:
        s = self.settings
        caps = [_Cap("global", "day", s.global_daily_token_cap or 0, None, None),
                _Cap("global", "month", s.global_monthly_token_cap or 0, None, None)]
        if cohort is not None:
            caps += [_Cap("cohort", "day", cohort.cohort_daily_tokens or 0, None, cohort.id),
                     _Cap("cohort", "month", cohort.cohort_monthly_tokens or 0, None, cohort.id)]
        if not lifted:
            day = (cohort.participant_daily_tokens if cohort else None) or s.participant_daily_token_cap
            month = ((cohort.participant_monthly_tokens if cohort else None)
                     or s.participant_monthly_token_cap)
            caps += [_Cap("participant", "day", day or 0, user_id, None),
                     _Cap("participant", "month", month or 0, user_id, None)]
        return [c for c in caps if c.limit > 0]

    async def reserve(self, user_id: UUID, *, cohort: StoredCohort | Unread | None = UNREAD) -> Hold:
        """Let one turn through and reserve its tokens, or raise ``UsageCapReached``.
        ``cohort``: the participant's current cohort when the caller has already read it."""
        now = self.now()
        store = self.store
        # A lift only removes caps: with none even unlifted (the common case), one query (none
        # with the cohort given) and no transaction (this runs on every turn).
        if isinstance(cohort, Unread):
            cohort = await store.cohorts.current_for(user_id)
        if not self._caps(user_id, cohort, lifted=False):
            return Hold(id=None, user_id=user_id, cohort_id=cohort.id if cohort else None,
                        day=now.date())
        async with store.db.transaction() as tx:
            until = await store.usage.lifted_until(user_id, conn=tx)
            caps = self._caps(user_id, cohort, lifted=until is not None and until > now)
            if not caps:
                return Hold(id=None, user_id=user_id, cohort_id=cohort.id if cohort else None,
                            day=now.date())
            for scope in sorted({(c.scope, str(c.user_id or c.cohort_id or "")) for c in caps}):
                await tx.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                 (f"ignacio.usage:{scope[0]}:{scope[1]}",))
            for cap in caps:
                spent = await store.usage.totals(user_id=cap.user_id, cohort_id=cap.cohort_id,
                                                 day=now.date(), conn=tx)
                held = await store.usage.held(user_id=cap.user_id, cohort_id=cap.cohort_id,
                                              now=now, conn=tx)
                if spent[cap.period] + held >= cap.limit:
                    raise UsageCapReached(scope=cap.scope, period=cap.period,
                                          resets_at=resets_at(cap.period, now), now=now)
            expires = now + timedelta(seconds=max(60.0, 2 * self.settings.turn_deadline_seconds))
            hold_id = await store.usage.hold(
                user_id=user_id, cohort_id=cohort.id if cohort else None,
                tokens=self.settings.usage_turn_reservation_tokens,
                expires_at=expires, conn=tx)
        return Hold(id=hold_id, user_id=user_id, cohort_id=cohort.id if cohort else None,
                    day=now.date())
