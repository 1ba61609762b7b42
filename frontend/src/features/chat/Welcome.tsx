/** The empty chat: a greeting and a few questions to start with. */
import { Icon } from '../../components/Icon';
import { useI18n, type MessageKey } from '../../i18n';
import { SPECIALISTS, AGENTS } from '../../lib/specialists';

const SUGGESTIONS: MessageKey[] = ['chat.suggestion1', 'chat.suggestion2', 'chat.suggestion3', 'chat.suggestion4'];

export function Welcome({ name, onAsk }: { name: string | null; onAsk: (question: string) => void }) {
  const { t } = useI18n();
  const firstName = name?.trim().split(/\s+/)[0] ?? '';
  return (
    <div className="welcome">
      <div className="welcome__team" aria-hidden="true">
        {AGENTS.filter((a) => a !== 'general').map((agent) => (
          <span key={agent} className={`welcome__badge specialist--${agent}`}>
            <Icon name={SPECIALISTS[agent].icon} size={18} />
          </span>
        ))}
      </div>
      <h1 className="welcome__title">
        {firstName ? t('chat.welcomeTitle', { name: firstName }) : t('chat.welcomeTitleAnon')}
      </h1>
      <p className="welcome__body">{t('chat.welcomeBody')}</p>
      <div className="welcome__suggestions">
        {SUGGESTIONS.map((key) => (
          <button key={key} type="button" className="suggestion" onClick={() => onAsk(t(key))}>
            <Icon name="sparkle" size={16} />
            <span>{t(key)}</span>
          </button>
        ))}
      </div>
    </div>
  );
}
