-- A coarse name for the device a session was opened on ("Chrome on Android"), so the sessions
-- list lets a participant recognise the one to sign out. Never the raw User-Agent.
alter table user_sessions add column device text check (char_length(device) <= 64);
