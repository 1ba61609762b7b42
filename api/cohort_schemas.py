"""Request and response shapes of the cohort routes (OpenAPI component names)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from api.schemas import Input, IsoDate, Language

TokenCap = int | None


class CohortCaps(BaseModel):
    """Token caps (input + output tokens of every model request); null: no cap."""

    participant_daily_tokens: TokenCap = Field(default=None, gt=0, le=10**12)
    participant_monthly_tokens: TokenCap = Field(default=None, gt=0, le=10**12)
    cohort_daily_tokens: TokenCap = Field(default=None, gt=0, le=10**12)
    cohort_monthly_tokens: TokenCap = Field(default=None, gt=0, le=10**12)


class CohortCreate(Input, CohortCaps):
    name: str = Field(min_length=1, max_length=200)
    starts_on: IsoDate
    ends_on: IsoDate
    language: Language = Language.es
    retention_days: int = Field(default=365, ge=0, le=36500)

    @model_validator(mode="after")
    def _dates_in_order(self) -> CohortCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class CohortUpdate(Input):
    """Only the fields sent change; ``null`` on a cap removes it."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None
    language: Language | None = None
    retention_days: int | None = Field(default=None, ge=0, le=36500)
    participant_daily_tokens: TokenCap = Field(default=None, gt=0, le=10**12)
    participant_monthly_tokens: TokenCap = Field(default=None, gt=0, le=10**12)
    cohort_daily_tokens: TokenCap = Field(default=None, gt=0, le=10**12)
    cohort_monthly_tokens: TokenCap = Field(default=None, gt=0, le=10**12)


class Cohort(CohortCaps):
    id: UUID
    name: str
    starts_on: IsoDate
    ends_on: IsoDate
    language: Language
    retention_days: int
    member_count: int
    mentor_ids: list[UUID]
    created_at: datetime
    updated_at: datetime


class CohortPage(BaseModel):
    items: list[Cohort]
    next_cursor: str | None = None


class CohortMembersAdd(Input):
    user_ids: list[UUID] = Field(min_length=1, max_length=1000)


class CohortMembersAdded(BaseModel):
    moved: list[UUID]  # users who joined (those already in the cohort are not listed)


class CohortMembership(BaseModel):
    cohort_id: UUID
    cohort_name: str
    joined_at: datetime
    left_at: datetime | None


class CohortHistory(BaseModel):
    items: list[CohortMembership]
