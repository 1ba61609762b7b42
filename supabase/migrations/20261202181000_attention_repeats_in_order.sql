-- The same question a third time is noticed when the third one is stored, also when the
-- webhook stores a whole delivery in one statement: an after-row trigger of a multi-row insert
-- sees every row of the statement, so each repeat is counted against the messages up to its
-- own (the webhook gives a delivery's messages increasing times in payload order), not the
-- whole delivery's (which would see 4 for all of four repeats and flag none).

create or replace function attention_from_message() returns trigger language plpgsql as $$
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
