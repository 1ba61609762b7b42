/** Admin transcript: what the channel said about a message beyond its words (deleted by its
 * author, edited, forwarded, from an ad, a form's answers, its original WhatsApp type). */
import { useI18n } from '../../i18n';
import type { MessageOrigin } from '../../api/types';

export function OriginNote({ origin }: { origin: MessageOrigin }) {
  const { t } = useI18n();
  const notes: string[] = [];
  if (origin.deleted_at) notes.push(t('admin.origin.deleted'));
  if (origin.edited_at) notes.push(t('admin.origin.edited'));
  if (origin.frequently_forwarded) notes.push(t('admin.origin.frequentlyForwarded'));
  else if (origin.forwarded) notes.push(t('admin.origin.forwarded'));
  if (origin.referral) {
    const headline = origin.referral.headline;
    notes.push(t('admin.origin.referral', { headline: typeof headline === 'string' ? headline : '—' }));
  }
  if (origin.quoted_id || origin.quotes_unknown) notes.push(t('admin.origin.quotes'));
  if (origin.source_type && !['text', 'image', 'video', 'audio', 'document'].includes(origin.source_type)) {
    notes.push(t('admin.origin.type', { type: origin.source_type }));
  }
  if (notes.length === 0) return null;
  return (
    <li className="transcript__origin" aria-label={t('admin.origin.label')}>
      <small>{notes.join(' · ')}</small>
    </li>
  );
}
