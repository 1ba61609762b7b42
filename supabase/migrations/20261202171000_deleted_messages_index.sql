-- The messages their authors deleted (few): a message page leaves out the answers to them
-- (``not exists ... q.deleted_at is not null``). Without an index on them the planner may read
-- every message of the database to find the deleted ones (it did on a 30,000-message
-- database, tests/test_read_plans.py); this one holds only the deleted, so it stays tiny.
create index messages_deleted_idx on messages (id) where deleted_at is not null;
