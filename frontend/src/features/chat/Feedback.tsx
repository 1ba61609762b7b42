/** 👍 / 👎 on an answer; pressing the active one again takes it back. */
import { useState } from 'react';
import type { FeedbackValue, Message } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';

export function Feedback({ message, onRate }: { message: Message; onRate: (value: FeedbackValue) => Promise<void> }) {
  const { t } = useI18n();
  const [failed, setFailed] = useState(false);
  const rate = (value: 1 | -1) => {
    setFailed(false);
    onRate(message.feedback === value ? 0 : value).catch(() => setFailed(true));
  };
  return (
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
      {failed && (
        <span className="form-error" role="alert">
          {t('common.error')}
        </span>
      )}
    </div>
  );
}
