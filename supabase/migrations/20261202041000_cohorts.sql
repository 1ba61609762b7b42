-- Cohorts: a program runs in editions (start and end dates, a language, participants and
-- mentors, how long their data is kept after the end, and token caps).

create table cohorts (
    id uuid primary key default gen_random_uuid(),
    name varchar(200) not null unique,
    starts_on date not null,
    ends_on date not null,
    language varchar(8) not null default 'es',
    -- Days after ``ends_on`` the participants' data is kept; then the retention job deletes it.
    retention_days integer not null default 365 check (retention_days >= 0),
    -- Token caps (input + output of every model request); null means no cap of that kind.
    participant_daily_tokens bigint check (participant_daily_tokens > 0),
    participant_monthly_tokens bigint check (participant_monthly_tokens > 0),
    cohort_daily_tokens bigint check (cohort_daily_tokens > 0),
    cohort_monthly_tokens bigint check (cohort_monthly_tokens > 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (ends_on >= starts_on)
);
create index cohorts_recent_idx on cohorts (created_at desc, id desc);

-- Membership with its history: a participant is in at most one cohort at a time (``left_at``
-- null); moving them closes the old row instead of deleting it.
create table cohort_members (
    id bigint generated always as identity primary key,
    cohort_id uuid not null references cohorts (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    joined_at timestamptz not null default now(),
    left_at timestamptz,
    check (left_at is null or left_at >= joined_at)
);
create unique index cohort_members_current_idx on cohort_members (user_id) where left_at is null;
create index cohort_members_cohort_idx on cohort_members (cohort_id, user_id) where left_at is null;
create index cohort_members_user_idx on cohort_members (user_id, joined_at desc);

-- The mentors of a cohort (staff who follow its participants).
create table cohort_mentors (
    cohort_id uuid not null references cohorts (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (cohort_id, user_id)
);
create index cohort_mentors_user_idx on cohort_mentors (user_id);

alter table cohorts enable row level security;
alter table cohort_members enable row level security;
alter table cohort_mentors enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on cohorts, cohort_members, cohort_mentors from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on cohorts, cohort_members, cohort_mentors from authenticated';
    end if;
end
$$;
