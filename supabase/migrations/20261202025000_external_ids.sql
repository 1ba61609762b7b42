-- Messages and deliveries speak of the channel's own id for a message (`external_id`: a
-- WhatsApp wamid, a console id, ...) instead of naming one channel. The spec's
-- `whatsapp_message_id` is renamed, not kept as an alias: nothing outside the application
-- reads these tables (row-level security exposes them to no API role).
alter table messages rename column whatsapp_message_id to external_id;
alter index messages_wamid_idx rename to messages_external_id_idx;
alter table message_deliveries rename column whatsapp_message_id to external_id;
alter table message_deliveries rename constraint message_deliveries_whatsapp_message_id_key
    to message_deliveries_external_id_key;
