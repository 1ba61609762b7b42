-- One memory per participant: running conversation summaries folded from answered turns, and the
-- participant's remembered items across all their conversations and channels.

-- Where each conversation's fold has got to. The cursor is the newest folded assistant message
-- (time, id); a fold advances it in the same transaction that writes its items, so a fold that
-- is retried or runs twice never folds a turn twice. Token totals are the summarizer's cost.
create table conversation_summaries (
    conversation_id uuid primary key references conversations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    folded_through_at timestamptz,
    folded_through_id uuid,
    folded_turns integer not null default 0,
    -- conversations.updated_at as seen by the last fold: the sweep folds conversations whose
    -- activity is newer than this.
    activity_seen_at timestamptz,
    input_tokens bigint not null default 0,
    output_tokens bigint not null default 0,
    requests integer not null default 0,
    model varchar(200),
    updated_at timestamptz not null default now()
);
create index conversation_summaries_user_idx on conversation_summaries (user_id);

-- The items of the running summaries: facts, decisions, numbers, commitments, open questions.
-- A conversation's summary is its items; the participant's memory is the items of all of them.
-- Deleting a conversation forgets what it taught (cascade).
create table memory_items (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    conversation_id uuid not null references conversations (id) on delete cascade,
    -- The assistant message of the turn the item came from, and when that turn happened: items
    -- of turns still replayed verbatim are not repeated in the summary.
    source_message_id uuid references messages (id) on delete set null,
    source_at timestamptz not null,
    channel varchar(16) not null,
    kind varchar(16) not null
        check (kind in ('fact', 'decision', 'number', 'commitment', 'open_question')),
    text varchar(500) not null,
    fingerprint bytea not null,  -- sha256 of the normalised text (duplicates, forgotten items)
    created_at timestamptz not null default now()
);
create index memory_items_user_idx on memory_items (user_id, created_at desc, id desc);
create index memory_items_conversation_idx on memory_items (conversation_id, source_at);
create index memory_items_fingerprint_idx on memory_items (user_id, fingerprint);

-- Items the participant deleted. Kept (per participant, deleted with them) only so that a later
-- fold can recognise the same item and leave it out; never shown and never replayed.
create table memory_forgotten (
    id bigint generated always as identity primary key,
    user_id uuid not null references users (id) on delete cascade,
    fingerprint bytea not null,
    text varchar(500) not null,
    created_at timestamptz not null default now(),
    unique (user_id, fingerprint)
);

alter table conversation_summaries enable row level security;
alter table memory_items enable row level security;
alter table memory_forgotten enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on all tables in schema public from anon';
        execute 'revoke all on all sequences in schema public from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on all tables in schema public from authenticated';
        execute 'revoke all on all sequences in schema public from authenticated';
    end if;
end
$$;
