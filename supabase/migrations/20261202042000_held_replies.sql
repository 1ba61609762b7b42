-- A reply the channel would only accept after the participant writes again (WhatsApp's
-- 24-hour customer-service window closed, error 131047): it is kept, marked held, and sent
-- as soon as the participant's next message arrives. The participant was told an answer is
-- waiting (an approved template). Few rows are ever held at once: a partial index.
alter table messages add column held_at timestamptz;
create index messages_held_idx on messages (conversation_id, created_at) where held_at is not null;
