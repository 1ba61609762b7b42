/** Who answered: the specialist's icon, name and role, and a badge when the local fallback model answered. */
import type { Agent } from '../../api/types';
import { Icon } from '../Icon';
import { useI18n } from '../../i18n';
import { specialistLook } from '../../lib/specialists';

export function SpecialistHeader({ agent, offline }: { agent: Agent | null | undefined; offline?: boolean }) {
  const { t } = useI18n();
  const look = specialistLook(agent);
  const name = t(look.label);
  return (
    <header className="answer__header">
      <span className="answer__icon" aria-hidden="true">
        <Icon name={look.icon} size={18} />
      </span>
      <span className="answer__who">
        <span className="answer__name">{name}</span>
        {look.role && <span className="answer__role">{t(look.role)}</span>}
      </span>
      {offline && (
        <span className="badge badge--warning answer__offline" title={t('chat.offlineHint')} data-testid="offline-badge">
          <Icon name="offline" size={12} />
          <span className="answer__offline-long">{t('chat.offline')}</span>
          <span className="answer__offline-short" aria-hidden="true">
            {t('chat.offlineShort')}
          </span>
        </span>
      )}
    </header>
  );
}
