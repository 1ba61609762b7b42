"""The data-access layer: one module per aggregate, plain parametrised SQL, typed results.

Routers and the engine go through ``Store``; none of them writes SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Database
from ignacio_agents.store.attention import AttentionStore
from ignacio_agents.store.audit import AuditStore
from ignacio_agents.store.cohorts import CohortStore
from ignacio_agents.store.consents import ConsentStore
from ignacio_agents.store.conversations import ConversationStore
from ignacio_agents.store.embeddings import EmbeddingStore
from ignacio_agents.store.eval_cases import EvalCaseStore
from ignacio_agents.store.feedback import FeedbackStore
from ignacio_agents.store.files import FileStore
from ignacio_agents.store.memory import MemoryStore
from ignacio_agents.store.mentoring import MentoringStore
from ignacio_agents.store.messages import MessageStore
from ignacio_agents.store.otp import OtpStore
from ignacio_agents.store.profiles import ProfileStore
from ignacio_agents.store.rate_limits import RateLimitStore
from ignacio_agents.store.sessions import SessionStore
from ignacio_agents.store.totp import TotpStore
from ignacio_agents.store.turns import TurnStore
from ignacio_agents.store.usage import UsageStore
from ignacio_agents.store.users import UserStore


@dataclass
class Store:
    db: Database
    cipher: PhoneCipher
    users: UserStore = field(init=False)
    profiles: ProfileStore = field(init=False)
    conversations: ConversationStore = field(init=False)
    messages: MessageStore = field(init=False)
    files: FileStore = field(init=False)
    audit: AuditStore = field(init=False)
    memory: MemoryStore = field(init=False)
    sessions: SessionStore = field(init=False)
    otp: OtpStore = field(init=False)
    rate_limits: RateLimitStore = field(init=False)
    embeddings: EmbeddingStore = field(init=False)
    cohorts: CohortStore = field(init=False)
    usage: UsageStore = field(init=False)
    mentoring: MentoringStore = field(init=False)
    attention: AttentionStore = field(init=False)
    feedback: FeedbackStore = field(init=False)
    eval_cases: EvalCaseStore = field(init=False)
    consents: ConsentStore = field(init=False)
    totp: TotpStore = field(init=False)
    turns: TurnStore = field(init=False)

    def __post_init__(self) -> None:
        self.users = UserStore(self.db, self.cipher)
        self.profiles = ProfileStore(self.db)
        self.conversations = ConversationStore(self.db)
        self.messages = MessageStore(self.db, self.cipher)
        self.files = FileStore(self.db)
        self.audit = AuditStore(self.db)
        self.consents = ConsentStore(self.db)
        self.memory = MemoryStore(self.db)
        self.sessions = SessionStore(self.db)
        self.otp = OtpStore(self.db, self.cipher)
        self.rate_limits = RateLimitStore(self.db, self.cipher)
        self.embeddings = EmbeddingStore(self.db)
        self.cohorts = CohortStore(self.db)
        self.usage = UsageStore(self.db)
        self.mentoring = MentoringStore(self.db)
        self.attention = AttentionStore(self.db)
        self.feedback = FeedbackStore(self.db)
        self.eval_cases = EvalCaseStore(self.db)
        self.totp = TotpStore(self.db, self.cipher)
        self.turns = TurnStore(self.db, self.users, self.messages)


__all__ = ["Store"]
