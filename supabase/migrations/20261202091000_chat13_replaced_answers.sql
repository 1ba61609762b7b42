-- An answer the participant replaced: by asking for another one (Regenerate: it stays as an
-- alternative they can page through) or by editing the question it answered (Edit & resend:
-- the participant no longer sees it). Admins see both in the transcript. A replaced answer
-- leaves the history the model replays.
alter table messages
    add column replaced_at timestamptz,
    add column replaced_reason text check (replaced_reason in ('regenerated', 'edited'));
