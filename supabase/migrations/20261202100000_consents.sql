-- The consent notice: what Ignacio stores and how to get it or have it deleted, shown once per
-- participant and channel, recorded with the time and the exact words shown. On a channel
-- that sends it as a message (WhatsApp) the row points at that stored message and is written
-- with it, before the first answer; on the web it is written when the participant dismisses
-- the notice after signing in. Deleting the participant deletes their rows.
create table consents (
    user_id uuid not null references users (id) on delete cascade,
    channel varchar(40) not null,
    language varchar(8) not null,
    notice text not null,
    message_id uuid references messages (id) on delete set null,
    shown_at timestamptz not null default now(),
    -- When the participant said "understood" (the web's button); null where writing on after
    -- the notice is all a channel can tell (WhatsApp).
    acknowledged_at timestamptz,
    primary key (user_id, channel)
);

alter table consents enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on consents from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on consents from authenticated';
    end if;
end
$$;
