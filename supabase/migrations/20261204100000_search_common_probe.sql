-- The admin search's probe (migration 20261202050000_search_plans) tells a rare word (at most
-- `cap` matches: their conversations) from a common one (null). For a common word it read
-- `cap` + 1 matches with a sequential scan: 5-8 ms (and up to 80 ms) of every search for a
-- word in a third of 1.1 M messages, because a scan of a large table reads through a small
-- ring of buffers, so its pages are fetched again on every search, and a synchronised scan
-- starts wherever another one is.
--
-- It now first walks a few thousand messages in index order (pages that stay cached): when
-- `cap` + 1 matches turn up there, the word is common and the probe answers null in 1-1.5 ms.
-- Otherwise it asks the full-text index as before (about 1 ms more for a rare word). The
-- verdict is the same in both steps: null only when more than `cap` messages match.
create or replace function ignacio_conversations_matching(q text, cap integer) returns uuid[]
    language sql stable parallel safe
    return case
        when (select count(*) from (
                select 1 from (select m.content_tsv from messages m
                               order by m.conversation_id, m.created_at desc, m.id desc
                               limit 4 * (cap + 1)) s
                where s.content_tsv @@ ignacio_fts_query(q) limit cap + 1) dense) > cap
            then null
        else (select case when count(*) <= cap then coalesce(array_agg(distinct t.conversation_id), '{}') end
              from (select m.conversation_id from messages m
                    where m.content_tsv @@ ignacio_fts_query(q) limit cap + 1) t)
    end;
