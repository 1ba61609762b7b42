-- Mentors in the loop: a mentor role with assigned participants, a human taking over a
-- conversation (pause / write / resume), the attention queue, and feedback with reasons.

-- A mentor sees and acts on the participants assigned to them; admins see everything.
alter table users add column is_mentor boolean not null default false;

create table mentor_assignments (
    mentor_id uuid not null references users (id) on delete cascade,
    participant_id uuid not null references users (id) on delete cascade,
    assigned_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    primary key (mentor_id, participant_id)
);
create index mentor_assignments_participant_idx on mentor_assignments (participant_id);

-- A human's own words in a conversation: the mentor or admin who wrote the message (null for
-- the participant's messages and the AI's answers).
alter table messages add column author_id uuid references users (id) on delete set null;

-- The AI is paused on a conversation while a human answers. One row per paused conversation;
-- the pause counts as over once last_activity_at is older than the configured timeout, so an
-- abandoned pause ends by itself with nothing to run and nothing said to the participant.
create table conversation_pauses (
    conversation_id uuid primary key references conversations (id) on delete cascade,
    paused_by uuid references users (id) on delete set null,
    paused_at timestamptz not null default now(),
    last_activity_at timestamptz not null default now()
);

-- Feedback with its reason (the 1/-1 value stays on messages.feedback, as before).
create table message_feedback (
    message_id uuid primary key references messages (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    value smallint not null check (value in (-1, 1)),
    tags text[] not null default '{}',
    comment text,
    source varchar(16) not null default 'web',
    created_at timestamptz not null default now()
);

-- WhatsApp feedback prompts: when the last one was sent, and whether the participant said stop.
create table feedback_prompts (
    user_id uuid primary key references users (id) on delete cascade,
    last_prompted_at timestamptz,
    opted_out_at timestamptz
);

-- What needs a human. One row per (kind, message): the same event never queues twice.
create table attention_items (
    id uuid primary key default gen_random_uuid(),
    kind varchar(32) not null check (kind in ('mentor_request', 'thumbs_down', 'fallback',
        'delivery_failed', 'repeated_question', 'out_of_scope')),
    conversation_id uuid not null references conversations (id) on delete cascade,
    message_id uuid not null references messages (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    claimed_by uuid references users (id) on delete set null,
    claimed_at timestamptz,
    snoozed_until timestamptz,
    resolved_by uuid references users (id) on delete set null,
    resolved_at timestamptz,
    note text,
    unique (kind, message_id)
);
create index attention_open_idx on attention_items (created_at desc, id desc)
    where resolved_at is null;
create index attention_user_idx on attention_items (user_id) where resolved_at is null;

-- Alerts sent to mentors, for the one-alert-per-conversation-per-hour limit.
create table mentor_alerts (
    id bigint generated always as identity primary key,
    conversation_id uuid not null references conversations (id) on delete cascade,
    recipient_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now()
);
create index mentor_alerts_idx on mentor_alerts (conversation_id, recipient_id, created_at desc);

-- The queue fills itself from what every writer already stores (engine, channels, feedback):
-- a fallback answer, a thumbs-down, a failed delivery, the same question a third time.
create function attention_from_message() returns trigger language plpgsql as $$
declare
    normalised text;
    repeats integer;
begin
    if tg_op = 'INSERT' then
        if new.is_fallback then
            insert into attention_items (kind, conversation_id, message_id, user_id)
            values ('fallback', new.conversation_id, new.id, new.user_id)
            on conflict do nothing;
        end if;
        if new.is_from_user and new.content is not null then
            normalised := btrim(regexp_replace(lower(new.content), '[^[:alnum:]]+', ' ', 'g'));
            if length(normalised) >= 8 then
                select count(*) into repeats from messages
                where conversation_id = new.conversation_id and is_from_user
                  and btrim(regexp_replace(lower(content), '[^[:alnum:]]+', ' ', 'g')) = normalised;
                if repeats = 3 then
                    insert into attention_items (kind, conversation_id, message_id, user_id)
                    values ('repeated_question', new.conversation_id, new.id, new.user_id)
                    on conflict do nothing;
                end if;
            end if;
        end if;
        return new;
    end if;
    if new.feedback = -1 and old.feedback is distinct from -1 then
        insert into attention_items (kind, conversation_id, message_id, user_id)
        values ('thumbs_down', new.conversation_id, new.id, new.user_id)
        on conflict do nothing;
    end if;
    if new.status = 'failed' and old.status <> 'failed' and not new.is_from_user
       and not new.is_fallback then
        insert into attention_items (kind, conversation_id, message_id, user_id)
        values ('delivery_failed', new.conversation_id, new.id, new.user_id)
        on conflict do nothing;
    end if;
    return new;
end;
$$;
create trigger messages_attention_insert after insert on messages
    for each row execute function attention_from_message();
create trigger messages_attention_update after update of feedback, status on messages
    for each row execute function attention_from_message();

do $$
declare t text;
begin
    foreach t in array array['mentor_assignments', 'conversation_pauses', 'message_feedback',
                             'feedback_prompts', 'attention_items', 'mentor_alerts'] loop
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
