/** Resolve a queue item with a note (kept in the audit log); the item leaves the queue. */
import { useId, useState } from 'react';
import type { QueueItem } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { kindLabel } from './queueKinds';
import { useQueueActions } from './staffQueries';

export function ResolveDialog({ item, onClose, onResolved }: { item: QueueItem; onClose: () => void; onResolved: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const errorText = useErrorText();
  const [note, setNote] = useState('');
  const { resolve } = useQueueActions();
  return (
    <Dialog
      open
      title={t('staff.resolveTitle', { kind: t(kindLabel(item.kind)), name: item.participant.name || t('common.none') })}
      onClose={onClose}
      onSubmit={() => resolve.mutate({ id: item.id, note: note.trim() }, { onSuccess: onResolved })}
      testId="resolve-dialog"
      footer={
        <>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn--primary" disabled={resolve.isPending || !note.trim()} data-testid="resolve-save">
            {resolve.isPending ? t('common.saving') : t('staff.resolve')}
          </button>
        </>
      }
    >
      <div className="form">
        <div className="field">
          <label htmlFor={`${id}-note`}>{t('staff.resolveNote')}</label>
          <textarea id={`${id}-note`} rows={3} maxLength={2000} required value={note} onChange={(e) => setNote(e.target.value)} data-testid="resolve-note" autoFocus />
        </div>
        <p className="form-error" role="alert">
          {resolve.error != null ? errorText(resolve.error) : null}
        </p>
      </div>
    </Dialog>
  );
}
