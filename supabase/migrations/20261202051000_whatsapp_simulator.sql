-- The development WhatsApp simulator's phone: what the app would have sent to each number (and
-- what the simulated phone sent in), so the simulator page can show one participant's chat as
-- WhatsApp would, from any API or worker process. Used only when no Graph credentials are set
-- outside production; the number is kept as the users table's blind index, never in clear.
create table whatsapp_simulator_messages (
    id bigint generated always as identity primary key,
    phone_hmac bytea not null,
    direction varchar(8) not null check (direction in ('inbound', 'outbound')),
    wamid varchar(200) not null unique,
    kind varchar(32) not null,
    body jsonb not null,
    status varchar(16) not null default 'sent' check (status in ('sent', 'delivered', 'read')),
    created_at timestamptz not null default now()
);

create index whatsapp_simulator_messages_phone_idx on whatsapp_simulator_messages (phone_hmac, id);

-- Files the simulated phone attached: served back to the app as Graph media downloads.
create table whatsapp_simulator_media (
    id varchar(64) primary key,
    mime_type varchar(200) not null,
    filename varchar(255),
    content bytea not null,
    created_at timestamptz not null default now()
);

alter table whatsapp_simulator_messages enable row level security;
alter table whatsapp_simulator_media enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on whatsapp_simulator_messages, whatsapp_simulator_media from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on whatsapp_simulator_messages, whatsapp_simulator_media from authenticated';
    end if;
end
$$;
