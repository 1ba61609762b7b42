-- Turns promoted into eval cases by an admin: the case as it will be written to the dataset
-- (identifying details already stripped), with who promoted it from which message.
create table eval_cases (
    id uuid primary key default gen_random_uuid(),
    name varchar(80) not null unique,
    suite varchar(32) not null check (suite in ('routing', 'answer_structure')),
    message_id uuid references messages (id) on delete set null,
    body jsonb not null,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now()
);
create index eval_cases_time_idx on eval_cases (created_at, id);

alter table eval_cases enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on eval_cases from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on eval_cases from authenticated';
    end if;
end
$$;
