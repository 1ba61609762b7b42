-- The same question a third time was found by reading every earlier message of the
-- conversation through the regular expression that normalises it, once per stored message: a
-- participant's 1,000-message conversation made each new message's insert scan 1,000 rows
-- (and the conversation's row stays locked meanwhile when the webhook stores it). An index on
-- the normalised question's hash (fixed size: a long message still fits in a btree entry) finds
-- its earlier copies directly; the text is still compared, so a hash collision counts nothing.
-- Planned for each call: a session's cached generic plan, chosen while the table was small
-- (a new deployment, a fresh database), would keep scanning the conversation once it is not.

create index messages_question_idx on messages
    (conversation_id, md5(btrim(regexp_replace(lower(content), '[^[:alnum:]]+', ' ', 'g'))))
    where is_from_user and content is not null;

create or replace function attention_from_message() returns trigger language plpgsql
    set plan_cache_mode = force_custom_plan as $$
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
                  and content is not null
                  and md5(btrim(regexp_replace(lower(content), '[^[:alnum:]]+', ' ', 'g')))
                      = md5(normalised)
                  and created_at <= new.created_at
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
