/** Why an answer was not helpful: tags to toggle and a short text, all optional. */
import { useId, useState, type SyntheticEvent } from 'react';
import type { FeedbackReason } from '../../api/conversations';
import type { FeedbackTag } from '../../api/types';
import { useI18n, type MessageKey } from '../../i18n';

export const FEEDBACK_TAGS: readonly FeedbackTag[] = ['incorrect', 'not_helpful', 'unclear', 'too_long', 'wrong_language', 'other'];

export function feedbackTagLabel(tag: string): MessageKey {
  return `feedback.tag.${tag}` as MessageKey;
}

export function FeedbackReasonForm({ onSend, onSkip }: { onSend: (reason: FeedbackReason) => Promise<void>; onSkip: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const [tags, setTags] = useState<FeedbackTag[]>([]);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const toggle = (tag: FeedbackTag) => setTags((current) => (current.includes(tag) ? current.filter((x) => x !== tag) : [...current, tag]));
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    void onSend({ tags, comment: comment.trim() }).finally(() => setBusy(false));
  };
  return (
    <form className="feedback-reason" onSubmit={submit} data-testid="feedback-reason" aria-labelledby={`${id}-title`}>
      <p className="feedback-reason__title" id={`${id}-title`}>
        {t('feedback.why')}
      </p>
      <div className="chips" role="group" aria-label={t('feedback.tags')}>
        {FEEDBACK_TAGS.map((tag) => (
          <button
            key={tag}
            type="button"
            className="chip"
            aria-pressed={tags.includes(tag)}
            onClick={() => toggle(tag)}
            data-testid={`feedback-tag-${tag}`}
          >
            {t(feedbackTagLabel(tag))}
          </button>
        ))}
      </div>
      <label className="visually-hidden" htmlFor={`${id}-comment`}>
        {t('feedback.comment')}
      </label>
      <textarea
        id={`${id}-comment`}
        rows={2}
        maxLength={1000}
        value={comment}
        placeholder={t('feedback.commentPlaceholder')}
        onChange={(event) => setComment(event.target.value)}
        data-testid="feedback-comment"
      />
      <div className="feedback-reason__actions">
        <button type="button" className="btn btn--ghost btn--sm" onClick={onSkip}>
          {t('feedback.skip')}
        </button>
        <button type="submit" className="btn btn--primary btn--sm" disabled={busy || (tags.length === 0 && !comment.trim())} data-testid="feedback-send">
          {t('feedback.send')}
        </button>
      </div>
    </form>
  );
}
