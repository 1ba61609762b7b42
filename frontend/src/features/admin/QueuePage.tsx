/** Staff: what needs a human, newest first; each item opens the transcript at its message. */
import { useId, useState } from 'react';
import type { AttentionKind, QueueItem } from '../../api/types';
import { Alert, EmptyState, LiveMessage, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { QueueRow } from './QueueRow';
import { ResolveDialog } from './ResolveDialog';
import { ATTENTION_KINDS, kindLabel } from './queueKinds';
import { useQueue, useQueueActions } from './staffQueries';

export function QueuePage() {
  const { t } = useI18n();
  const id = useId();
  const errorText = useErrorText();
  const [kind, setKind] = useState<AttentionKind | ''>('');
  const queue = useQueue(kind);
  const actions = useQueueActions();
  const [resolving, setResolving] = useState<QueueItem | null>(null);
  const [status, setStatus] = useState('');
  const actionError = actions.claim.error ?? actions.snooze.error;

  return (
    <section className="panel" data-testid="queue-page">
      <div className="filters filters--inline">
        <label htmlFor={`${id}-kind`}>{t('staff.kind')}</label>
        <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as AttentionKind | '')} data-testid="queue-kind">
          <option value="">{t('staff.allKinds')}</option>
          {ATTENTION_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(kindLabel(k))}
            </option>
          ))}
        </select>
      </div>
      <LiveMessage>{status}</LiveMessage>
      {actionError != null && <Alert>{errorText(actionError)}</Alert>}
      {queue.error != null && (
        <Alert onRetry={queue.reload} retryLabel={t('common.retry')}>
          {errorText(queue.error)}
        </Alert>
      )}
      {queue.items.length === 0 && !queue.loading && queue.error == null ? (
        <EmptyState icon="check" title={t('staff.queueEmpty')} />
      ) : (
        <ol className="queue" aria-label={t('staff.queue')} data-testid="queue-list">
          {queue.items.map((item) => (
            <QueueRow
              key={item.id}
              item={item}
              onClaim={() => actions.claim.mutate(item.id, { onSuccess: () => setStatus(t('staff.claimed')) })}
              onSnooze={(minutes) => actions.snooze.mutate({ id: item.id, minutes }, { onSuccess: () => setStatus(t('staff.snoozed')) })}
              onResolve={() => setResolving(item)}
            />
          ))}
        </ol>
      )}
      {queue.loading && <Spinner label={t('app.loading')} />}
      {queue.hasMore && !queue.loading && (
        <button type="button" className="btn btn--ghost" onClick={queue.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
      {resolving && (
        <ResolveDialog
          item={resolving}
          onClose={() => setResolving(null)}
          onResolved={() => {
            setResolving(null);
            setStatus(t('staff.resolved'));
          }}
        />
      )}
    </section>
  );
}
