-- Each conversation keeps its own message count. Admin and mentor lists showed one per listed
-- conversation by counting its messages on every page: with 10,000-message conversations on a
-- page that was most of an admin search's time (checked with EXPLAIN ANALYZE on 1.1 M
-- messages). Statement-level triggers keep it, so a multi-row insert or a cascade from a
-- deleted conversation costs one update per conversation, not one per message. Messages never
-- move between conversations, so updates need no trigger.

alter table conversations add column message_count integer not null default 0;

create function conversations_count_added() returns trigger language plpgsql as $$
begin
    update conversations c set message_count = c.message_count + n.added
    from (select conversation_id, count(*)::integer as added from added_messages
          group by conversation_id) n
    where c.id = n.conversation_id;
    return null;
end;
$$;

create function conversations_count_removed() returns trigger language plpgsql as $$
begin
    update conversations c set message_count = greatest(c.message_count - n.removed, 0)
    from (select conversation_id, count(*)::integer as removed from removed_messages
          group by conversation_id) n
    where c.id = n.conversation_id;
    return null;
end;
$$;

create trigger messages_counted_in after insert on messages
    referencing new table as added_messages
    for each statement execute function conversations_count_added();
create trigger messages_counted_out after delete on messages
    referencing old table as removed_messages
    for each statement execute function conversations_count_removed();

update conversations c set message_count = n.total
from (select conversation_id, count(*)::integer as total from messages group by conversation_id) n
where c.id = n.conversation_id;
