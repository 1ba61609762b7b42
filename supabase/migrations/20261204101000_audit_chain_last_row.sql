-- The audit chain's trigger (migration 20261202041500_audit_chain) found the last row with
-- `order by seq desc nulls last`, an order the ascending unique index on `seq` cannot give
-- backwards, so every audit row written read and sorted the whole log under the chain's lock:
-- 3.5 ms of CPU per row at 10,000 rows, growing with the log, and every writer waiting behind
-- it (an admin search writes one). `seq` is not null, so `order by seq desc` is the same row,
-- read from the end of the index.
create or replace function audit_log_chain() returns trigger language plpgsql as $$
declare
    last record;
begin
    -- One writer at a time extends the chain; the lock ends with the writer's transaction,
    -- and each statement below sees what the previous writers committed.
    perform pg_advisory_xact_lock(hashtext('ignacio.audit_log.chain'));
    select a.seq, a.row_hash into last from audit_log a order by a.seq desc limit 1;
    new.seq := coalesce(last.seq, 0) + 1;
    new.prev_hash := last.row_hash;
    new.row_hash := audit_log_row_hash(new.prev_hash, new.seq, new.actor_id, new.action,
                                       new.target_type, new.target_id, new.client_ip,
                                       new.details, new.created_at);
    return new;
end;
$$;
