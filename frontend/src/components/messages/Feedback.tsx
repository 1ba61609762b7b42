/**
 * 👍 / 👎 on an answer; pressing the active one again takes it back. After a 👎 the participant
 * may say why (a few tags and free text, both optional): the mentors see it in their queue.
 */
import { useState } from 'react';
import type { FeedbackReason } from '../../api/conversations';
import type { FeedbackValue, Message } from '../../api/types';
import { Icon } from '../Icon';
import { useI18n } from '../../i18n';
import { FeedbackReasonForm } from './FeedbackReasonForm';

export type RateAnswer = (value: FeedbackValue, reason?: FeedbackReason) => Promise<void>;

export function Feedback({ message, onRate }: { message: Message; onRate: RateAnswer }) {
  const { t } = useI18n();
  const [failed, setFailed] = useState(false);
  const [asking, setAsking] = useState(false);
  const [thanked, setThanked] = useState(false);
  const rate = (value: 1 | -1) => {
    setFailed(false);
    setThanked(false);
    const next = message.feedback === value ? 0 : value;
    setAsking(next === -1);
    onRate(next).catch(() => setFailed(true));
  };
  const explain = async (reason: FeedbackReason) => {
    setFailed(false);
    try {
      await onRate(-1, reason);
      setAsking(false);
      setThanked(true);
    } catch {
      setFailed(true);
    }
  };
  return (
    <>
      <div className="feedback" role="group" aria-label={t('chat.feedback')}>
        <button
          type="button"
          className="icon-btn icon-btn--sm feedback__btn"
          aria-pressed={message.feedback === 1}
          aria-label={t('chat.helpful')}
          title={t('chat.helpful')}
          onClick={() => rate(1)}
          data-testid="feedback-up"
        >
          <Icon name="thumbsUp" size={15} />
        </button>
        <button
          type="button"
          className="icon-btn icon-btn--sm feedback__btn"
          aria-pressed={message.feedback === -1}
          aria-label={t('chat.notHelpful')}
          title={t('chat.notHelpful')}
          onClick={() => rate(-1)}
          data-testid="feedback-down"
        >
          <Icon name="thumbsDown" size={15} />
        </button>
        {thanked && (
          <span className="muted feedback__thanks" role="status">
            {t('chat.feedbackThanks')}
          </span>
        )}
        {failed && (
          <span className="form-error" role="alert">
            {t('common.error')}
          </span>
        )}
      </div>
      {asking && <FeedbackReasonForm onSend={explain} onSkip={() => setAsking(false)} />}
    </>
  );
}
