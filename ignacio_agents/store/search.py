"""Ranked retrieval SQL shared by history and file search: full text, vectors, fused by rank.

Full text matches **any** of the words of a search, each word searched in English and Spanish
(``ignacio_fts_terms``: stop words of either language dropped), and ranks by the summed inverse
document frequency of the words a text contains (``ignacio_fts_score``, BM25's idf over the
participant's own texts), then by cover density (``ts_rank_cd``). So "subvención ayuntamiento
plazo" still finds the message about the council grant that never says "plazo", and a message
with the rare words of a search outranks one with a common word many times.

When the search comes with a query embedding, the participant's nearest texts by cosine
similarity (pgvector, exact) form a second ranking, and the two are fused by reciprocal rank
(``1 / (RRF_K + rank)`` summed over both lists, as in Cormack et al. 2009): no score
calibration between the two, and a text found by both rises to the top. Without an embedding
the vector list is empty and the result is the full-text ranking alone.

The SQL is written once here for both corpora (messages and file chunks), parametrised only by
table and column names that are constants in this module, never by input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

RRF_K = 60
"""Reciprocal-rank constant: large enough that rank 1 vs 2 in one list does not outweigh
being found by both lists."""

POOL = 30
"""Candidates taken from each ranking before fusing."""

MATCH_POOL = 500
"""Full-text matches scored per search: the newest this many. A common word in a participant
with 100,000 messages matches tens of thousands; scoring every one took seconds, and the best
answers to a participant's question are among their recent matches anyway. Word document
frequencies (the idf) are counted within this pool too."""

WHOLE_TEXT_CHARS = 700
"""A text up to this long is handed over whole; a longer one as headline fragments."""

@dataclass(frozen=True)
class QueryVector:
    """A search's embedding and the model that made it (only that model's rows compare)."""

    model: str
    values: list[float]
    min_similarity: float = 0.0

    def literal(self) -> str:
        return "[" + ",".join(repr(float(v)) for v in self.values) + "]"


@dataclass(frozen=True)
class Corpus:
    """Where one kind of searchable text lives."""

    table: str  # e.g. "messages"
    tsv: str  # its tsvector column
    text: str  # its text column
    embeddings: str  # the embeddings table
    embedding_key: str  # the embeddings table's column pointing at ``table.id``
    countable: str  # condition for a row to count as a searchable document
    recency: str  # breaks full-text ties: newer first


MESSAGES = Corpus("messages", "content_tsv", "content", "message_embeddings", "message_id",
                  "content is not null", "created_at")
CHUNKS = Corpus("file_chunks", "tsv", "content", "chunk_embeddings", "chunk_id", "true", "id")


def ranked_ids_sql(corpus: Corpus) -> str:
    """``with ... ranked(id, score)``: the user's best ``%(limit)s`` rows for the search.

    Parameters: ``q`` (search text), ``user``, ``exclude`` (an id to leave out, or null),
    ``vec`` / ``model`` / ``min_sim`` (the query embedding as a pgvector literal, or nulls),
    ``limit``.
    """
    t = corpus
    return f"""
    with stats as (
        select ignacio_fts_terms(%(q)s) as terms, ignacio_fts_any(%(q)s) as query,
               (select count(*) from {t.table} where user_id = %(user)s and {t.countable}) as total
    ),
    matched as (
        select d.id, d.{t.tsv} as tsv, d.{t.recency} as recency from {t.table} d
        where d.user_id = %(user)s and d.{t.tsv} @@ ignacio_fts_any(%(q)s)
          and d.id is distinct from %(exclude)s
        order by d.{t.recency} desc limit {MATCH_POOL}
    ),
    df as (
        select array(
            select (select count(*) from matched where matched.tsv @@ x.term)
            from stats, unnest(stats.terms) with ordinality as x(term, n) order by x.n
        ) as df
    ),
    text_ranked as (
        select matched.id, row_number() over (order by
            ignacio_fts_score(matched.tsv, stats.terms, df.df, stats.total) desc,
            ts_rank_cd(matched.tsv, stats.query, 1) desc, matched.recency desc) as r
        from matched, stats, df
        order by r limit {POOL}
    ),
    vector_ranked as (
        select e.{t.embedding_key} as id,
               row_number() over (order by e.embedding <=> %(vec)s::vector, e.{t.embedding_key}) as r
        from {t.embeddings} e
        where %(vec)s::vector is not null and e.user_id = %(user)s and e.model = %(model)s
          and e.embedding is not null and e.{t.embedding_key} is distinct from %(exclude)s
          and 1 - (e.embedding <=> %(vec)s::vector) >= %(min_sim)s
        order by r limit {POOL}
    ),
    ranked as (
        select id, sum(1.0 / ({RRF_K} + r)) as score
        from (select id, r from text_ranked union all select id, r from vector_ranked) both_lists
        group by id order by score desc limit %(limit)s
    )"""


def snippet_sql(text: str) -> str:
    """The text whole when short, else its best fragments (``%(q)s`` is the search), in the
    language :func:`match_headline_sql` picks, its marks stripped. Null when a long text has no
    matching word (a vector-only hit): the caller then cuts its beginning.

    Ranking both parses to pick the language parsed every long hit three times."""
    query = "ignacio_fts_any(%(q)s)"
    marked = match_headline_sql(text, query, "snippet_options")
    return (f"case when length({text}) <= {WHOLE_TEXT_CHARS} then {text}"
            f" when {query} is null then null"
            f" else replace(replace({marked}, chr({ord(MATCH_START)}), ''),"
            f" chr({ord(MATCH_END)}), '') end")


def search_params(user_id: UUID, query: str, *, limit: int, exclude: UUID | int | None = None,
                  vector: QueryVector | None = None) -> dict[str, Any]:
    return {
        "q": query, "user": user_id, "exclude": exclude, "limit": limit,
        "vec": vector.literal() if vector else None,
        "model": vector.model if vector else None,
        "min_sim": vector.min_similarity if vector else 0.0,
        "snippet_options": SNIPPET_OPTIONS,
    }


def opening(text: str, max_chars: int = WHOLE_TEXT_CHARS) -> str:
    """The beginning of ``text``, cut at a word boundary, for a hit with no matching word."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip() + " …"


MATCH_START, MATCH_END = "\x02", "\x03"
"""Marks around matched words in :func:`match_headline_sql` output: control characters no
message text uses, so the caller can split a snippet into plain and matched parts and nothing
in it is ever read as markup."""

MATCH_HEADLINE_OPTIONS = (
    f"MaxFragments=1, MaxWords=30, MinWords=12, ShortWord=2, StartSel={MATCH_START},"
    f" StopSel={MATCH_END}, FragmentDelimiter=\" … \""
)

SNIPPET_OPTIONS = (
    f"MaxFragments=2, MaxWords=35, MinWords=15, ShortWord=2, StartSel={MATCH_START},"
    f" StopSel={MATCH_END}, FragmentDelimiter=\" … \""
)
"""Recall snippets: up to two fragments, so an any-word match shows each place it matched.
The marks only tell :func:`snippet_sql` which language matched; it strips them (they would
reach answers as stray characters)."""


def match_headline_sql(text: str, query: str, options: str = "headline_options") -> str:
    """``text``'s fragment around the words of ``query`` (a tsquery expression), matched words
    marked with ``MATCH_START``/``MATCH_END`` (the ts_headline options are the ``%(options)s``
    parameter, which must ask for those marks): parsed as Spanish, or as English when Spanish
    marks nothing (a word only English stems to the query's lexeme, "running" for "run").

    Picking the language by ranking both parses (two ``to_tsvector`` and two ``ts_rank`` per
    row) cost four times the headline itself: 3.8 of 4.9 ms for a page of 50. A Spanish text,
    the usual case, is now parsed once."""
    spanish = f"ts_headline('spanish', {text}, {query}, %({options})s)"
    english = f"ts_headline('english', {text}, {query}, %({options})s)"
    # ``offset 0``: the Spanish headline is computed once, not once per reference to it.
    return (f"(select case when strpos(h.es, chr({ord(MATCH_START)})) > 0 then h.es"
            f" else {english} end from (select {spanish} as es offset 0) h)")


def split_marked(headline: str) -> list[tuple[str, bool]]:
    """A marked headline as (text, matched) parts, in order, empty parts dropped."""
    parts: list[tuple[str, bool]] = []
    for i, chunk in enumerate(headline.split(MATCH_START)):
        if i == 0:
            parts.append((chunk, False))
            continue
        hit, _, rest = chunk.partition(MATCH_END)
        parts += [(hit, True), (rest, False)]
    return [(t.replace(MATCH_END, ""), m) for t, m in parts if t]
