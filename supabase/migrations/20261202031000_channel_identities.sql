-- A channel's own id for a participant (a messaging app's user id that stands in for a hidden
-- phone number, a chat id) lives beside the user, one row per channel, instead of one column
-- per channel on users: a new channel needs no change to the users table.
create table channel_identities (
    channel varchar(40) not null,
    external_user_id varchar(200) not null,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (channel, external_user_id),
    unique (user_id, channel)
);

insert into channel_identities (channel, external_user_id, user_id)
select 'whatsapp', whatsapp_user_id, id from users where whatsapp_user_id is not null;

alter table users drop column whatsapp_user_id;

alter table channel_identities enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on channel_identities from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on channel_identities from authenticated';
    end if;
end
$$;
