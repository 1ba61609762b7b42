/** "What Ignacio remembers": the participant's notes from every conversation, each deletable. */
import { useId, useState } from 'react';
import { forgetNote, listMyMemory } from '../../api/memory';
import type { MemoryNote } from '../../api/types';
import { ConfirmDialog } from '../../components/Dialog';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';
import { MemoryList } from '../../components/MemoryList';

export function MyMemory() {
  const { t } = useI18n();
  const errorText = useErrorText();
  const notes = usePaged(listMyMemory, 'memory');
  const titleId = useId();
  const [toForget, setToForget] = useState<MemoryNote | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const confirm = async () => {
    if (!toForget) return;
    setBusy(true);
    setError(null);
    try {
      await forgetNote(toForget.id);
      notes.setItems((items) => items.filter((n) => n.id !== toForget.id));
      setToForget(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby={titleId} data-testid="my-memory">
      <div className="panel__header">
        <div>
          <h2 id={titleId} className="panel__title">
            {t('memory.title')}
          </h2>
          <p className="muted">{t('memory.subtitle')}</p>
        </div>
      </div>
      {notes.error != null && (
        <Alert onRetry={notes.reload} retryLabel={t('common.retry')}>
          {errorText(notes.error)}
        </Alert>
      )}
      {notes.items.length === 0 && !notes.loading && notes.error == null ? (
        <EmptyState icon="sparkle" title={t('memory.empty')}>
          {t('memory.emptyHint')}
        </EmptyState>
      ) : (
        <MemoryList
          notes={notes.items}
          onForget={(note) => {
            setError(null);
            setToForget(note);
          }}
        />
      )}
      {notes.loading && <Spinner label={t('app.loading')} />}
      {notes.hasMore && !notes.loading && (
        <button type="button" className="btn btn--ghost" onClick={notes.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
      <ConfirmDialog
        open={toForget !== null}
        title={t('memory.forgetTitle')}
        body={t('memory.forgetBody', { text: toForget?.text ?? '' })}
        confirmLabel={t('memory.forgetShort')}
        busy={busy}
        error={error}
        onConfirm={() => void confirm()}
        onClose={() => setToForget(null)}
      />
    </section>
  );
}
