/**
 * "Are you sure?" before an admin changes someone's role or deactivates them: both act at once
 * on the server (a deactivated person is signed out everywhere), so one stray click must not do it.
 */
import { useState } from 'react';
import { ApiError } from '../../api/errors';
import type { User } from '../../api/types';
import { updateUser } from '../../api/users';
import { ConfirmDialog } from '../../components/Dialog';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n, type MessageKey } from '../../i18n';

/** A change that asks first: a role change either way, or deactivation (reactivating does not ask). */
export type ConfirmedChange = { is_admin: boolean } | { is_active: false };

interface Props {
  /** The person and the change to confirm; null keeps the dialog closed. */
  pending: { user: User; change: ConfirmedChange } | null;
  onDone: (updated: User) => void;
  onClose: () => void;
}

function wording(change: ConfirmedChange): { title: MessageKey; body: MessageKey; confirm: MessageKey } {
  if ('is_active' in change) return { title: 'admin.deactivateTitle', body: 'admin.deactivateBody', confirm: 'admin.deactivate' };
  return change.is_admin
    ? { title: 'admin.makeAdminTitle', body: 'admin.makeAdminBody', confirm: 'admin.makeAdmin' }
    : { title: 'admin.removeAdminTitle', body: 'admin.removeAdminBody', confirm: 'admin.removeAdmin' };
}

export function UserChangeConfirm({ pending, onDone, onClose }: Props) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const words = pending ? wording(pending.change) : null;
  const name = pending ? pending.user.name || pending.user.phone_number : '';

  const close = () => {
    setError(null);
    onClose();
  };

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await updateUser(pending.user.id, pending.change));
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 409 ? failure.message || t('admin.lastAdmin') : errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog
      open={pending !== null}
      title={words ? t(words.title, { name }) : ''}
      body={words ? t(words.body, { name }) : ''}
      confirmLabel={words ? t(words.confirm) : ''}
      tone={pending && 'is_admin' in pending.change && pending.change.is_admin ? 'primary' : 'danger'}
      testId="user-change-dialog"
      busy={busy}
      error={error}
      onConfirm={() => void confirm()}
      onClose={close}
    />
  );
}
