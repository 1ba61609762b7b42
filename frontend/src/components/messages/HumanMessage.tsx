import type { Message } from '../../api/types';
import { Icon } from '../Icon';
import { Markdown } from '../Markdown';
import { useI18n } from '../../i18n';
import { Meta } from './MessageMeta';

/** A mentor's or admin's own words while the AI was paused: "Mentor · Name", never a specialist. */
export function HumanMessage({ message, variant }: { message: Message; variant: 'chat' | 'admin' }) {
  const { t } = useI18n();
  return (
    <li className="msg msg--assistant msg--human" data-testid="mentor-message" data-message-id={message.id}>
      <article className="answer answer--human">
        <header className="answer__header">
          <span className="answer__icon" aria-hidden="true">
            <Icon name="user" size={18} />
          </span>
          <span className="answer__who">
            <span className="answer__name" data-testid="mentor-author">
              {t('chat.mentorAuthor', { name: message.author_name ?? '' })}
            </span>
          </span>
        </header>
        <div className="answer__body">{message.content && <Markdown className="answer__lead">{message.content}</Markdown>}</div>
        <footer className="answer__footer">
          <Meta message={message} variant={variant} />
        </footer>
      </article>
    </li>
  );
}
