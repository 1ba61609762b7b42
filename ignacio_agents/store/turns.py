"""What a turn reads before it starts, in one round trip: the user, their conversation, their
current cohort (for the usage caps), the conversation's pause, the project profile and, when a
channel stored the participant's message before the turn, that message.

They are five aggregates' rows, but every turn of every channel needs all of them at once; read
one by one they were five round trips before the model was even asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ignacio_agents.db import Conn, Database
from ignacio_agents.store.cohorts import _SELECT as _COHORT_SELECT
from ignacio_agents.store.cohorts import StoredCohort
from ignacio_agents.store.conversations import _COLUMNS as _CONVERSATION_COLUMNS
from ignacio_agents.store.conversations import Conversation
from ignacio_agents.store.mentoring import Pause
from ignacio_agents.store.messages import _COLUMNS as _MESSAGE_COLUMNS
from ignacio_agents.store.messages import _JOINS as _MESSAGE_JOINS
from ignacio_agents.store.messages import MessageStore, StoredMessage
from ignacio_agents.store.profiles import ProjectProfile
from ignacio_agents.store.users import _PREFIXED as _USER_COLUMNS
from ignacio_agents.store.users import StoredUser, UserStore


@dataclass(frozen=True)
class TurnStart:
    """``user`` None: no such user. ``conversation`` None: not found, or not theirs."""

    user: StoredUser | None
    conversation: Conversation | None
    cohort: StoredCohort | None
    pause: Pause | None
    profile: ProjectProfile
    message: StoredMessage | None = None  # the stored message asked for, if it is the user's


# The message's columns as ``messages.get`` reads them, each renamed ``message_<name>`` so they
# sit beside the user's in one row.
_MESSAGE_NAMES = [c.strip().rsplit(" as ", 1)[-1].rsplit(".", 1)[-1]
                  for c in _MESSAGE_COLUMNS.split(",")]
_MESSAGE_PREFIX = "message_"

# The same rows as ``users.get``, ``conversations.get(user_id=)``, ``cohorts.current_for``,
# ``mentoring.get_pause`` and ``profiles.get``; those that are not columns of ``users`` come
# back as jsonb and are validated by their own models.
_START = (
    f"select {_USER_COLUMNS},"
    f" (select to_jsonb(x) from (select {_CONVERSATION_COLUMNS} from conversations c"
    "   where c.id = %s and c.user_id = u.id) x) as turn_conversation,"
    f" (select to_jsonb(x) from ({_COHORT_SELECT} join cohort_members m on m.cohort_id = c.id"
    "   where m.user_id = u.id and m.left_at is null limit 1) x) as turn_cohort,"
    " (select to_jsonb(x) from (select p.conversation_id, p.paused_by,"
    "   a.name as paused_by_name, p.paused_at, p.last_activity_at"
    "   from conversation_pauses p left join users a on a.id = p.paused_by"
    "   where p.conversation_id = %s and (%s::float8 is null"
    "   or p.last_activity_at > now() - make_interval(secs => %s::float8))) x) as turn_pause,"
    " (select p.profile from project_profiles p where p.user_id = u.id) as turn_profile,"
    + ", ".join(f"q.{n} as {_MESSAGE_PREFIX}{n}" for n in _MESSAGE_NAMES)
    + " from users u left join lateral ("
    f"select {_MESSAGE_COLUMNS} from messages m{_MESSAGE_JOINS}"
    " where m.id = %s and m.user_id = u.id) q on true"
    " where u.id = %s"
)


class TurnStore:
    def __init__(self, db: Database, users: UserStore, messages: MessageStore):
        self.db = db
        # they build their rows (phone numbers and channel ids are decrypted there)
        self.users = users
        self.messages = messages

    async def start(self, user_id: UUID, conversation_id: UUID, *,
                    pause_timeout_seconds: float | None, message_id: UUID | None = None,
                    conn: Conn | None = None) -> TurnStart:
        """The turn's opening read; a pause lasts ``pause_timeout_seconds`` after the last
        human activity (None: any stored pause), as in ``mentoring.get_pause``. With
        ``message_id``, that message too, as ``messages.get(message_id, user_id=user_id)``."""
        row = await self.db.fetch_one(
            dict, _START, conversation_id, conversation_id, pause_timeout_seconds,
            pause_timeout_seconds, message_id, user_id, conn=conn,
        )
        if row is None:
            return TurnStart(user=None, conversation=None, cohort=None, pause=None,
                             profile=ProjectProfile())
        conversation, cohort, pause, profile = (
            row.pop(k) for k in ("turn_conversation", "turn_cohort", "turn_pause", "turn_profile"))
        message = {n: row.pop(_MESSAGE_PREFIX + n) for n in _MESSAGE_NAMES}
        return TurnStart(
            user=self.users._user(row),
            conversation=Conversation.model_validate(conversation) if conversation else None,
            cohort=StoredCohort.model_validate(cohort) if cohort else None,
            pause=Pause.model_validate(pause) if pause else None,
            profile=ProjectProfile.model_validate(profile) if profile else ProjectProfile(),
            message=self.messages._message(message) if message["id"] is not None else None,
        )
