-- A channel's message id can carry personal data (a WhatsApp wamid embeds the sender's phone
-- number in base64). `external_id` now holds a keyed hash ("k1:" + HMAC-SHA256), enough for
-- replay dedupe and status/reaction lookups; the id itself is kept only encrypted
-- (`external_id_sealed`, AES-GCM, the same keys as users.phone) for what must be sent back to
-- the channel (read receipts, quoted replies). Rows written before this change still hold a
-- clear id: the application rewrites them at start, in batches (see MessageStore).
alter table messages add column external_id_sealed bytea;
alter table message_deliveries add column external_id_sealed bytea;
create index messages_clear_external_id_idx on messages (id)
    where external_id is not null and external_id not like 'k1:%';
create index message_deliveries_clear_external_id_idx on message_deliveries (id)
    where external_id is not null and external_id not like 'k1:%';
