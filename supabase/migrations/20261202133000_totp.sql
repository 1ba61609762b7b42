-- A second factor for admins and mentors: a TOTP authenticator app (RFC 6238).

-- One authenticator per user. The shared secret is AES-GCM ciphertext (the phone numbers' keys,
-- its own associated data); a row that is not enabled is an enrolment waiting for its first
-- code. last_used_step is the 30-second step of the last accepted code: a code of that step or
-- an earlier one is refused, so an overheard code cannot be replayed.
create table user_totp (
    user_id uuid primary key references users (id) on delete cascade,
    secret_ciphertext bytea not null,
    enabled boolean not null default false,
    enabled_at timestamptz,
    last_used_step bigint,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Recovery codes, shown once: only their keyed hashes are kept. A used code stays (used_at) so
-- the count of codes left is exact; regenerating replaces them all.
create table totp_recovery_codes (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    code_hash bytea not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    unique (user_id, code_hash)
);

-- Between the WhatsApp code and the second factor: a short-lived challenge (only its token's
-- SHA-256 is kept) that is not a session. It dies when used, when it expires, or after too many
-- wrong codes.
create table totp_challenges (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    token_hash bytea not null unique,
    attempts integer not null default 0,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now()
);
create index totp_challenges_user_idx on totp_challenges (user_id);
create index totp_challenges_expiry_idx on totp_challenges (expires_at);

do $$
declare t text;
begin
    foreach t in array array['user_totp', 'totp_recovery_codes', 'totp_challenges'] loop
        execute format('alter table %I enable row level security', t);
        if exists (select 1 from pg_roles where rolname = 'anon') then
            execute format('revoke all on %I from anon', t);
        end if;
        if exists (select 1 from pg_roles where rolname = 'authenticated') then
            execute format('revoke all on %I from authenticated', t);
        end if;
    end loop;
end
$$;
