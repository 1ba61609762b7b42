-- Tamper-evident audit log: every row carries the hash of its content and of the row before
-- it (``seq`` orders the chain), so rewriting or removing a row breaks every hash after it and
-- ``ignacio verify-audit`` names the first broken row. The chain is kept by the database
-- itself (a BEFORE INSERT trigger under a transaction-level advisory lock), so no writer can
-- forget it and two concurrent writers cannot fork it.

alter table audit_log add column seq bigint;
alter table audit_log add column prev_hash bytea;
alter table audit_log add column row_hash bytea;

-- The hashed content: every column but the hashes, as a JSON array (nulls stay explicit,
-- jsonb's text form is canonical, the time is in microseconds since the epoch so no session
-- time zone or date style changes it). ``ignacio verify-audit`` recomputes the same formula.
create function audit_log_row_hash(prev bytea, seq bigint, actor_id uuid, action text,
                                   target_type text, target_id text, client_ip text,
                                   details jsonb, created_at timestamptz) returns bytea
    language sql stable parallel safe
    return sha256(coalesce(prev, ''::bytea) || convert_to(jsonb_build_array(
        seq, actor_id, action, target_type, target_id, client_ip, details,
        (extract(epoch from created_at) * 1000000)::bigint)::text, 'UTF8'));

create function audit_log_chain() returns trigger language plpgsql as $$
declare
    last record;
begin
    -- One writer at a time extends the chain; the lock ends with the writer's transaction,
    -- and each statement below sees what the previous writers committed.
    perform pg_advisory_xact_lock(hashtext('ignacio.audit_log.chain'));
    select a.seq, a.row_hash into last from audit_log a order by a.seq desc nulls last limit 1;
    new.seq := coalesce(last.seq, 0) + 1;
    new.prev_hash := last.row_hash;
    new.row_hash := audit_log_row_hash(new.prev_hash, new.seq, new.actor_id, new.action,
                                       new.target_type, new.target_id, new.client_ip,
                                       new.details, new.created_at);
    return new;
end;
$$;

-- Chain the rows already there, oldest first (the append-only trigger is paused for it).
alter table audit_log disable trigger audit_log_no_update;
do $$
declare
    r record;
    n bigint := 0;
    prev bytea := null;
    h bytea;
begin
    for r in select * from audit_log order by id loop
        n := n + 1;
        h := audit_log_row_hash(prev, n, r.actor_id, r.action, r.target_type, r.target_id,
                                r.client_ip, r.details, r.created_at);
        update audit_log set seq = n, prev_hash = prev, row_hash = h where id = r.id;
        prev := h;
    end loop;
end
$$;
alter table audit_log enable trigger audit_log_no_update;

alter table audit_log alter column seq set not null;
alter table audit_log alter column row_hash set not null;
alter table audit_log add constraint audit_log_seq_key unique (seq);
create trigger audit_log_chain before insert on audit_log
    for each row execute function audit_log_chain();
