-- Recall: full-text search that matches any of the words (ranked), and pgvector embeddings of
-- messages and file chunks for hybrid retrieval when an embeddings model is configured.
--
-- On Supabase `vector` may already be enabled (usually in the `extensions` schema, which is on
-- the search path); `if not exists` then leaves it where it is. The embedded server ships it.
create extension if not exists vector;

-- The words of a search as bilingual terms: each word becomes (English stem | Spanish stem), so
-- "precios" and "prices" both find "precio" / "price" wherever the stemmers agree. A word that
-- is a stop word in either language ("de", "the", "para", "and") is left out: OR-ing them would
-- match nearly every message. At most 32 words are kept, so a pasted paragraph stays cheap.
create function ignacio_fts_terms(q text) returns tsquery[]
    language sql immutable parallel safe
    return array(
        select plainto_tsquery('english', w) || plainto_tsquery('spanish', w)
        from unnest(tsvector_to_array(to_tsvector('simple', left(coalesce(q, ''), 2000)))) as w
        where numnode(plainto_tsquery('english', w)) > 0
          and numnode(plainto_tsquery('spanish', w)) > 0
        limit 32
    );

-- Any of the terms (null when the search has no usable word, which matches nothing).
create function ignacio_fts_any(q text) returns tsquery
    language sql immutable parallel safe
    return (
        select string_agg('(' || t::text || ')', ' | ')::tsquery
        from unnest(ignacio_fts_terms(q)) as t
    );

-- How well a document answers the search: the sum of the inverse document frequency of the
-- terms it contains (BM25's idf, within the participant's own messages or chunks). A message
-- holding the rare words of a search beats one repeating a common word many times.
--   terms  the search's terms (ignacio_fts_terms)
--   df     per term, how many of the candidate documents contain it
--   total  how many documents were searched
create function ignacio_fts_score(doc tsvector, terms tsquery[], df bigint[], total bigint)
    returns double precision
    language sql immutable parallel safe
    return (
        select coalesce(sum(ln(1 + (greatest(total, n) - n + 0.5) / (n + 0.5))), 0)
        from unnest(terms, df) as x(term, n)
        where doc @@ term
    );

-- Embeddings, one row per message / chunk and model. `embedding` is null when the text could
-- not be embedded (the provider refused it): the row is then not retried until the text or the
-- model changes. `content_md5` is the md5 of the embedded message text, so an edited message
-- (a voice note's transcript) is embedded again. No ANN index: retrieval is exact and always
-- filtered to one participant, whose rows are few enough to scan.
create table message_embeddings (
    message_id uuid primary key references messages (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    model varchar(200) not null,
    content_md5 varchar(32) not null,
    embedding vector,
    created_at timestamptz not null default now()
);
create index message_embeddings_user_idx on message_embeddings (user_id, model);

create table chunk_embeddings (
    chunk_id bigint primary key references file_chunks (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    model varchar(200) not null,
    embedding vector,
    created_at timestamptz not null default now()
);
create index chunk_embeddings_user_idx on chunk_embeddings (user_id, model);

alter table message_embeddings enable row level security;
alter table chunk_embeddings enable row level security;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
        execute 'revoke all on message_embeddings, chunk_embeddings from anon';
        execute 'revoke all on function ignacio_fts_terms(text), ignacio_fts_any(text),'
                ' ignacio_fts_score(tsvector, tsquery[], bigint[], bigint) from anon';
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
        execute 'revoke all on message_embeddings, chunk_embeddings from authenticated';
        execute 'revoke all on function ignacio_fts_terms(text), ignacio_fts_any(text),'
                ' ignacio_fts_score(tsvector, tsquery[], bigint[], bigint) from authenticated';
    end if;
end
$$;
