-- Planning the repeated-question lookup for every stored message (force_custom_plan, previous
-- migration) cost 0.1-0.2 ms per row: a tenth of a second of a 1,000-message delivery. The
-- session's cached plan finds the index as soon as the table has statistics; only a brand-new
-- database reads the conversation instead until its first analyze, as it did before the index.
alter function attention_from_message() reset plan_cache_mode;
