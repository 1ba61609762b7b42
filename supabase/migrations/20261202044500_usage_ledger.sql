-- Usage accounting and caps: one ledger row per model run (tokens and its price), running
-- totals per participant / cohort / everyone by day and month, the tokens that turns in flight
-- have reserved, caps lifted for one participant, and the day a participant was told so.

create table usage_ledger (
    id bigint generated always as identity primary key,
    -- Set null when the participant is deleted: the row is kept anonymised so the cohort's
    -- totals (what the program spent) stay true; it then holds only counts, a model and a price.
    user_id uuid references users (id) on delete set null,
    cohort_id uuid references cohorts (id) on delete set null,
    message_id uuid references messages (id) on delete set null,
    purpose varchar(16) not null check (purpose in ('triage', 'answer', 'summary', 'embedding')),
    model varchar(200) not null,
    requests integer not null default 0,
    input_tokens bigint not null default 0,
    output_tokens bigint not null default 0,
    cache_read_tokens bigint not null default 0,
    cost_usd numeric(18, 10) not null default 0,
    -- genai-prices: priced from its snapshot; configured: USAGE_PRICE_*_PER_MTOK (local or unknown model)
    price_source varchar(16) not null check (price_source in ('genai-prices', 'configured')),
    created_at timestamptz not null default now()
);
create index usage_ledger_user_time_idx on usage_ledger (user_id, created_at);
create index usage_ledger_cohort_time_idx on usage_ledger (cohort_id, created_at);
create index usage_ledger_time_idx on usage_ledger (created_at);

-- Running token totals, kept in the same transaction as the ledger rows, so a cap check reads
-- one row instead of summing the ledger. user_id / cohort_id null = everyone.
create table usage_totals (
    user_id uuid references users (id) on delete cascade,
    cohort_id uuid references cohorts (id) on delete cascade,
    period varchar(8) not null check (period in ('day', 'month')),
    period_start date not null,
    tokens bigint not null default 0,
    check (user_id is null or cohort_id is null),
    unique nulls not distinct (user_id, cohort_id, period, period_start)
);

-- Tokens reserved by a turn that has been let through and not yet accounted; a hold whose turn
-- died expires on its own.
create table usage_holds (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    cohort_id uuid references cohorts (id) on delete cascade,
    tokens bigint not null check (tokens >= 0),
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
);
create index usage_holds_user_idx on usage_holds (user_id, expires_at);
create index usage_holds_cohort_idx on usage_holds (cohort_id, expires_at);
create index usage_holds_expiry_idx on usage_holds (expires_at);

-- An admin lifted the participant caps for one person until a time.
create table usage_cap_lifts (
    user_id uuid primary key references users (id) on delete cascade,
    lifted_until timestamptz not null,
    lifted_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now()
);

-- The day a participant was told on a channel that they reached a cap (told once a day).
create table usage_cap_notices (
    user_id uuid not null references users (id) on delete cascade,
    channel varchar(40) not null,
    day date not null,
    created_at timestamptz not null default now(),
    primary key (user_id, channel, day)
);

alter table usage_ledger enable row level security;
alter table usage_totals enable row level security;
alter table usage_holds enable row level security;
alter table usage_cap_lifts enable row level security;
alter table usage_cap_notices enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on usage_ledger, usage_totals, usage_holds, usage_cap_lifts, usage_cap_notices from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on usage_ledger, usage_totals, usage_holds, usage_cap_lifts, usage_cap_notices from authenticated';
    end if;
end
$$;
