/**
 * Admin: beside a transcript, what Ignacio remembers about its participant. Loaded only when
 * the admin opens it, because every read is recorded in the audit log.
 */
import { useState } from 'react';
import { adminUserMemory } from '../../api/memory';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';
import { MemoryList } from '../../components/MemoryList';

function Notes({ userId }: { userId: string }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const notes = usePaged((cursor) => adminUserMemory(userId, cursor), `memory:${userId}`);
  return (
    <>
      {notes.error != null && (
        <Alert onRetry={notes.reload} retryLabel={t('common.retry')}>
          {errorText(notes.error)}
        </Alert>
      )}
      {notes.items.length === 0 && !notes.loading && notes.error == null ? (
        <EmptyState icon="sparkle" title={t('memory.adminEmpty')} />
      ) : (
        <MemoryList notes={notes.items} />
      )}
      {notes.loading && <Spinner label={t('app.loading')} />}
      {notes.hasMore && !notes.loading && (
        <button type="button" className="btn btn--ghost" onClick={notes.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
    </>
  );
}

export function UserMemoryPanel({ userId }: { userId: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <details className="memory-panel" data-testid="admin-memory" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary className="memory-panel__summary">{t('memory.adminTitle')}</summary>
      <p className="field__hint">{t('memory.adminHint')}</p>
      {open && <Notes userId={userId} />}
    </details>
  );
}
