/**
 * An admin transcript as a Markdown document, in the admin's language: who said what and when,
 * which specialist answered, and what went wrong (stopped, fallback, not delivered and why).
 * Built from the transcript already on screen, whose viewing is audited.
 */
import type { Transcript } from '../../api/types';
import type { MessageKey } from '../../i18n';
import { specialistLook } from '../../lib/specialists';

type T = (key: MessageKey, vars?: Record<string, string | number>) => string;
type FormatDate = (iso: string, style?: 'short' | 'long' | 'time' | 'date') => string;

/** A line of a participant's or model's text must not become a heading or a rule of this document. */
function quote(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

export function transcriptMarkdown(data: Transcript, t: T, formatDate: FormatDate): string {
  const { conversation, user, messages } = data;
  const title = conversation.title?.trim() || t('chat.untitled');
  const lines = [
    `# ${title}`,
    '',
    `- ${t('admin.participantInfo')}: ${user.name || t('common.none')}`,
    `- ${t('admin.channel')}: ${conversation.channel}`,
    `- ${t('transcript.started')}: ${formatDate(conversation.created_at, 'long')}`,
    `- ${t('admin.messageCount', { count: messages.length })}`,
    '',
  ];
  for (const m of messages) {
    const when = formatDate(m.created_at, 'long');
    let who: string;
    if (m.author_name) who = t('transcript.mentor', { name: m.author_name });
    else if (m.role === 'user') who = user.name || t('admin.participantInfo');
    else who = `Ignacio · ${t(specialistLook(m.agent).label)}`;
    lines.push(`### ${who} · ${when}`, '');
    const notes: string[] = [];
    if (m.attachments.length > 0) notes.push(`${t('transcript.files')}: ${m.attachments.map((a) => a.file_name).join(', ')}`);
    if (m.error_code === 'stopped') notes.push(t('chat.stopped'));
    if (m.is_fallback) notes.push(t('chat.fallback'));
    if (m.feedback === 1) notes.push(t('transcript.thumbsUp'));
    if (m.feedback === -1) notes.push(t('transcript.thumbsDown'));
    if (m.delivery_error) {
      const meaning = t(`deliveryError.${m.delivery_error.reason}` as MessageKey);
      notes.push(t('deliveryError.line', { meaning, code: m.delivery_error.code, title: m.delivery_error.title ? ` · ${m.delivery_error.title}` : '' }));
    }
    if (m.content.trim()) lines.push(quote(m.content), '');
    for (const note of notes) lines.push(`_${note}_`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A file name for the download: the title's letters and digits, never a path. */
export function transcriptFileName(data: Transcript): string {
  const base = (data.conversation.title ?? 'transcript')
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 60);
  return `${base || 'transcript'}-${data.conversation.id.slice(0, 8)}.md`;
}
