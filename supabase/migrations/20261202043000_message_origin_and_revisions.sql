-- What a channel told us about a message beyond its words, so a transcript shows it as it
-- arrived: the channel's own type for it (a sticker, a Flow answer, an opened chat), facts
-- such as "forwarded" or the ad that led to it (`details`), the earlier message it quotes,
-- and whether the participant deleted or edited it afterwards. A deleted message is kept for
-- the audit (its `deleted_at` is set) but reaches neither the model nor the participant's view;
-- an edited one keeps each earlier wording in `message_revisions`.
alter table messages
    add column source_type varchar(40),
    add column details jsonb,
    add column quoted_id uuid references messages (id) on delete set null,
    add column deleted_at timestamptz,
    add column edited_at timestamptz;

create table message_revisions (
    id bigint generated always as identity primary key,
    message_id uuid not null references messages (id) on delete cascade,
    content text,                        -- the wording before this edit
    replaced_at timestamptz not null default now()
);
create index message_revisions_message_idx on message_revisions (message_id, id);

alter table message_revisions enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on message_revisions from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on message_revisions from authenticated';
    end if;
end
$$;
