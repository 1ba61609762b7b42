-- Channels register themselves in the application (channels/installed.py), so the schema keeps
-- no list of them and a new channel needs no migration: a channel's name is a short lowercase
-- word, as the application's ChannelName type says. Files keep their two web origins
-- ('web', 'conversation') or the name of the channel they arrived on.
alter table conversations drop constraint conversations_channel_check,
    add constraint conversations_channel_check check (channel ~ '^[a-z][a-z0-9_]{1,15}$');
alter table messages drop constraint messages_channel_check,
    add constraint messages_channel_check check (channel ~ '^[a-z][a-z0-9_]{1,15}$');
alter table user_files drop constraint user_files_source_check,
    add constraint user_files_source_check check (source ~ '^[a-z][a-z0-9_]{1,15}$');
