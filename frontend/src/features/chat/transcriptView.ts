/**
 * What the participant's transcript shows of the stored messages: a replaced
 * answer is not a row of its own. One replaced by Regenerate is an alternative
 * the current answer's row pages back to; one replaced by Edit & resend is not
 * shown at all (the admin transcript keeps both).
 */
import type { Message } from '../../api/types';

export interface TranscriptView {
  rows: Message[];
  /** Answers to one question, oldest first, by the question's id (only questions with more than one). */
  alternatives: Map<string, Message[]>;
  /** The last row, when it is an answer (Regenerate), and the last question (Edit & resend). */
  lastAnswerId: string | null;
  lastQuestionId: string | null;
}

export function transcriptView(messages: Message[]): TranscriptView {
  const rows = messages.filter((m) => !(m.role === 'assistant' && m.replaced));
  const byQuestion = new Map<string, Message[]>();
  for (const m of messages) {
    if (m.role !== 'assistant' || !m.reply_to_id || m.replaced === 'edited') continue;
    byQuestion.set(m.reply_to_id, [...(byQuestion.get(m.reply_to_id) ?? []), m]);
  }
  const alternatives = new Map<string, Message[]>();
  for (const [question, answers] of byQuestion) {
    if (answers.length < 2) continue;
    // the current answer last, the replaced ones in the order they were written
    const ordered = [...answers].sort((a, b) => Number(!a.replaced) - Number(!b.replaced) || a.created_at.localeCompare(b.created_at));
    alternatives.set(question, ordered);
  }
  const last = rows[rows.length - 1];
  const lastQuestion = [...rows].reverse().find((m) => m.role === 'user');
  return {
    rows,
    alternatives,
    lastAnswerId: last?.role === 'assistant' && last.reply_to_id ? last.id : null,
    lastQuestionId: lastQuestion?.channel === 'web' && last?.role === 'assistant' ? lastQuestion.id : null,
  };
}
