/** Who answers this conversation now: the AI, or a human who paused it (until they resume, or it runs out). */
import type { PauseInfo } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useTakeover } from './staffQueries';

export function TakeoverBar({ conversationId, pause }: { conversationId: string; pause: PauseInfo | null }) {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const { pause: doPause, resume } = useTakeover(conversationId);
  const busy = doPause.isPending || resume.isPending;
  const error = doPause.error ?? resume.error;
  return (
    <div className={pause ? 'takeover is-paused' : 'takeover'} data-testid="takeover">
      <p className="takeover__state" role="status" data-testid="pause-state">
        <Icon name={pause ? 'user' : 'sparkle'} size={16} />
        {pause
          ? t('staff.pausedBy', { name: pause.paused_by?.name || t('common.none'), time: formatDate(pause.ends_at, 'time') })
          : t('staff.aiAnswering')}
      </p>
      {pause ? (
        <button type="button" className="btn btn--primary btn--sm" disabled={busy} onClick={() => resume.mutate()} data-testid="resume-ai">
          <Icon name="refresh" size={14} />
          {t('staff.resume')}
        </button>
      ) : (
        <button type="button" className="btn btn--secondary btn--sm" disabled={busy} onClick={() => doPause.mutate()} data-testid="pause-ai">
          <Icon name="stop" size={14} />
          {t('staff.pause')}
        </button>
      )}
      {error != null && (
        <span className="form-error" role="alert">
          {errorText(error)}
        </span>
      )}
    </div>
  );
}
