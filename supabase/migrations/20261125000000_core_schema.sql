-- Ignacio core schema.
-- The original spec's tables keep their names and meaning; every departure is commented where it
-- happens. Core Postgres only (no pgcrypto / pg_trgm / citext: the embedded build lacks them).

-- Full-text search over Spanish and English text: both stemmers, so "precios" finds "precio"
-- and "pricing" finds "price". Immutable so it can feed generated columns.
create function ignacio_fts(body text) returns tsvector
    language sql immutable parallel safe
    return to_tsvector('english', coalesce(body, '')) || to_tsvector('spanish', coalesce(body, ''));

create function ignacio_fts_query(q text) returns tsquery
    language sql immutable parallel safe
    return websearch_to_tsquery('english', q) || websearch_to_tsquery('spanish', q);

create type message_type as enum ('text', 'image', 'audio', 'video', 'document');

-- users --------------------------------------------------------------------------------------
create table users (
    id uuid primary key default gen_random_uuid(),
    -- Changed from the spec's plaintext `phone_number varchar(20) unique`: the E.164 number is
    -- stored AES-256-GCM encrypted (key id || nonce || ciphertext) and looked up / kept unique
    -- through an HMAC-SHA256 blind index under a separate key.
    phone_ciphertext bytea not null,
    phone_hmac bytea not null unique,
    name varchar(255),
    is_admin boolean not null default false,
    is_active boolean not null default true,
    preferred_language varchar(8) not null default 'es',
    -- WhatsApp business-scoped user id (BSUID), kept when Meta sends it.
    whatsapp_user_id varchar(200) unique,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index users_name_idx on users (lower(name));
create index users_created_idx on users (created_at desc, id desc);

-- project profile: the context the advisor uses, with its change history -----------------------
create table project_profiles (
    user_id uuid primary key references users (id) on delete cascade,
    profile jsonb not null default '{}'::jsonb,
    updated_at timestamptz not null default now()
);

-- conversations --------------------------------------------------------------------------------
create table conversations (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    title varchar(255),
    -- Added: which channel the conversation lives in (one open WhatsApp conversation per user).
    channel varchar(16) not null default 'web' check (channel in ('web', 'whatsapp')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index conversations_user_recent_idx on conversations (user_id, updated_at desc, id desc);
create index conversations_recent_idx on conversations (updated_at desc, id desc);

-- user_files (before messages, which reference them) -------------------------------------------
create table user_files (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    file_name varchar(255) not null,
    file_path varchar(500) not null,  -- blob key: users/{user_id}/files/{file_id}/{safe_name}
    file_type varchar(100) not null,  -- MIME type decided from the content
    file_size bigint not null,
    created_at timestamptz not null default now(),
    -- Added: where it came from, its content hash (re-uploads reuse extraction) and extraction state.
    conversation_id uuid references conversations (id) on delete set null,
    source varchar(16) not null default 'web' check (source in ('web', 'conversation', 'whatsapp')),
    kind message_type not null default 'document',
    content_sha256 bytea,
    extraction_status varchar(16) not null default 'pending'
        check (extraction_status in ('pending', 'running', 'done', 'failed', 'unreadable', 'not_applicable')),
    extraction_error text,
    part_count integer,          -- pages / slides / sheets / paragraphs
    part_label varchar(16),      -- 'page' | 'slide' | 'sheet' | 'paragraph'
    transcript text              -- voice notes / audio, when transcription is configured
);
create index user_files_user_recent_idx on user_files (user_id, created_at desc, id desc);
create index user_files_user_hash_idx on user_files (user_id, content_sha256);

-- Extracted text, chunked with its location so the advisor can quote and cite it.
create table file_chunks (
    id bigint generated always as identity primary key,
    file_id uuid not null references user_files (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    ordinal integer not null,
    part varchar(64) not null,       -- address for read_file, e.g. 'page:3', 'slide:4', 'sheet:Budget'
    location varchar(200) not null,  -- human citation, e.g. 'page 3', 'Budget!B7:D7', 'slide 4'
    content text not null,
    tsv tsvector generated always as (ignacio_fts(content)) stored,
    unique (file_id, ordinal)
);
create index file_chunks_tsv_idx on file_chunks using gin (tsv);
create index file_chunks_user_idx on file_chunks (user_id);
create index file_chunks_part_idx on file_chunks (file_id, part, ordinal);

-- messages -------------------------------------------------------------------------------------
create table messages (
    id uuid primary key default gen_random_uuid(),
    conversation_id uuid not null references conversations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    content text,
    message_type message_type not null default 'text',
    file_path varchar(500),           -- blob key of the attachment, as in the spec
    is_from_user boolean not null,
    whatsapp_message_id varchar(200), -- inbound wamid (unique: a replayed webhook is a no-op)
    created_at timestamptz not null default now(),
    -- Added for the engine and channels:
    channel varchar(16) not null default 'web' check (channel in ('web', 'whatsapp')),
    file_id uuid references user_files (id) on delete set null,
    agent varchar(32),                -- answering specialist
    route_reason text,
    answer jsonb,                     -- the typed answer
    usage jsonb,                      -- {input_tokens, output_tokens, requests, model}
    model_messages jsonb,             -- PydanticAI messages of the turn, append-only
    status varchar(16) not null default 'sent'
        check (status in ('pending', 'sent', 'delivered', 'read', 'failed')),
    error_code varchar(32),
    is_fallback boolean not null default false,
    feedback smallint check (feedback in (-1, 1)),
    reply_to_id uuid references messages (id) on delete set null,
    content_tsv tsvector generated always as (ignacio_fts(content)) stored
);
create unique index messages_wamid_idx on messages (whatsapp_message_id)
    where whatsapp_message_id is not null;
create index messages_conversation_time_idx on messages (conversation_id, created_at desc, id desc);
create index messages_user_time_idx on messages (user_id, created_at desc);
create index messages_tsv_idx on messages using gin (content_tsv);
create index messages_agent_idx on messages (agent) where agent is not null;

-- One row per WhatsApp message actually sent for an assistant message (long answers are split),
-- so status webhooks can find their message by the outbound wamid.
create table message_deliveries (
    id bigint generated always as identity primary key,
    message_id uuid not null references messages (id) on delete cascade,
    part_index integer not null,
    whatsapp_message_id varchar(200) unique,
    status varchar(16) not null default 'pending'
        check (status in ('pending', 'sent', 'delivered', 'read', 'failed')),
    error_code varchar(32),
    updated_at timestamptz not null default now(),
    unique (message_id, part_index)
);

-- Project profile changes, each tied to the message that caused it (null for manual edits).
create table project_profile_changes (
    id bigint generated always as identity primary key,
    user_id uuid not null references users (id) on delete cascade,
    message_id uuid references messages (id) on delete set null,
    source varchar(16) not null check (source in ('user', 'advisor', 'admin')),
    changes jsonb not null,
    created_at timestamptz not null default now()
);
create index project_profile_changes_user_idx on project_profile_changes (user_id, created_at desc);

-- sessions -------------------------------------------------------------------------------------
create table user_sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    -- Changed from the spec's plaintext `session_token`: only the SHA-256 of the opaque refresh
    -- token is kept; hashes of rotated tokens are remembered to detect replay (token theft).
    session_token bytea not null unique,
    previous_token_hashes bytea[] not null default '{}',
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    last_used_at timestamptz not null default now(),
    revoked_at timestamptz,
    revoked_reason varchar(32)
);
create index user_sessions_user_idx on user_sessions (user_id);
create index user_sessions_previous_idx on user_sessions using gin (previous_token_hashes);

-- one-time codes -------------------------------------------------------------------------------
create table otp_codes (
    id uuid primary key default gen_random_uuid(),
    -- Changed from the spec's plaintext phone number and code: blind index and keyed hash only.
    phone_hmac bytea not null,
    code_hash bytea not null,
    is_used boolean not null default false,
    attempts integer not null default 0,
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
);
create index otp_codes_phone_idx on otp_codes (phone_hmac, created_at desc);

-- Sliding-window rate limits (OTP requests per phone / per IP, not-enrolled replies). Keys are
-- keyed hashes, never raw numbers or addresses.
create table rate_limit_events (
    id bigint generated always as identity primary key,
    bucket varchar(32) not null,
    key_hash bytea not null,
    created_at timestamptz not null default now()
);
create index rate_limit_events_idx on rate_limit_events (bucket, key_hash, created_at desc);

-- audit ----------------------------------------------------------------------------------------
create table audit_log (
    id bigint generated always as identity primary key,
    -- No foreign key: the trail must outlive the users it mentions.
    actor_id uuid,
    action varchar(64) not null,
    target_type varchar(32),
    target_id varchar(64),
    client_ip varchar(64),
    details jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now()
);
create index audit_log_time_idx on audit_log (created_at desc, id desc);
create index audit_log_actor_idx on audit_log (actor_id, created_at desc);
create index audit_log_action_idx on audit_log (action, created_at desc);

-- Audit rows are append-only, even for the application's own role.
create function audit_log_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end;
$$;
create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_immutable();
