-- Every table gets row-level security with no policies: the backend connects as the owner (which
-- bypasses RLS), and Supabase's public Data API (anon / authenticated keys) sees nothing.
-- Later migrations that add tables must enable RLS on them too (a test checks every table).
do $$
declare t record;
begin
    for t in select tablename from pg_tables where schemaname = 'public' loop
        execute format('alter table public.%I enable row level security', t.tablename);
    end loop;
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on all tables in schema public from anon';
        execute 'revoke all on all sequences in schema public from anon';
        execute 'revoke all on all functions in schema public from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on all tables in schema public from authenticated';
        execute 'revoke all on all sequences in schema public from authenticated';
        execute 'revoke all on all functions in schema public from authenticated';
    end if;
end
$$;
