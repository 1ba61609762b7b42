-- The answer the last WhatsApp feedback prompt asked about: a tap on its buttons rates it.
alter table feedback_prompts
    add column message_id uuid references messages (id) on delete set null;
