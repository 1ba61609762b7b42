-- Search plans that are fast for rare and common words alike (checked with EXPLAIN ANALYZE on
-- 1.1 M messages).
--
-- Admin search walks conversations newest first and stops at a page: a common word matches in
-- the first few, but a rare or absent word made it probe every conversation's messages (3 s on
-- 1.1 M). Starting from the full-text index instead is fast for rare words and slow for common
-- ones (hundreds of thousands of matches to group). This function asks the index for at most
-- `cap` + 1 matches: when there are no more than `cap`, it returns their conversations (the
-- search then filters conversations by that set); when there are more, null (the word is
-- common, and the newest-first walk finds a page at once).
create function ignacio_conversations_matching(q text, cap integer) returns uuid[]
    language sql stable parallel safe
    return (select case when count(*) <= cap then coalesce(array_agg(distinct t.conversation_id), '{}') end
            from (select m.conversation_id from messages m
                  where m.content_tsv @@ ignacio_fts_query(q) limit cap + 1) t);

-- A participant's searchable message count (the idf base of history search) read from an
-- index alone, instead of visiting every one of their rows.
create index messages_user_text_idx on messages (user_id) where content is not null;
