/** The answer as it arrives: who is answering, tool activity, then the partial card. */
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { AnswerCard } from '../../components/messages/AnswerCard';
import { SpecialistHeader } from '../../components/messages/SpecialistHeader';
import type { PendingTurn } from './chatStore';
import { specialistLook } from '../../lib/specialists';

export function StreamingAnswer({ pending }: { pending: PendingTurn }) {
  const { t } = useI18n();
  const look = specialistLook(pending.specialist);
  const tool = pending.tool && (
    <p className="answer__tool">
      <Icon name="search" size={14} />
      {t('chat.usingTool', { tool: pending.tool })}
    </p>
  );

  return (
    <li className="msg msg--assistant" data-testid="streaming-message" aria-busy="true">
      <div aria-live="polite" aria-busy="true">
        {pending.partial ? (
          <AnswerCard answer={pending.partial} agent={pending.specialist} streaming footer={tool} />
        ) : (
          <article className={`answer specialist--${look.tone} is-streaming`} data-testid="specialist-card" data-specialist={pending.specialist ?? ''}>
            <SpecialistHeader agent={pending.specialist ?? 'general'} />
            <div className="answer__body">
              {tool}
              {!pending.tool && (
                <p className="typing">
                  <span className="typing__dots" aria-hidden="true">
                    <span />
                    <span />
                    <span />
                  </span>
                  {pending.specialist ? t('chat.answering', { specialist: t(look.label) }) : t('chat.thinking')}
                </p>
              )}
            </div>
          </article>
        )}
      </div>
    </li>
  );
}
