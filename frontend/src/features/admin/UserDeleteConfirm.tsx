/** "Delete {name}?" on the users page: the account, its conversations and files go for good. */
import { useState } from 'react';
import { ApiError } from '../../api/errors';
import type { User } from '../../api/types';
import { deleteUser } from '../../api/users';
import { ConfirmDialog } from '../../components/Dialog';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';

interface Props {
  user: User | null;
  onDeleted: (user: User) => void;
  onClose: () => void;
}

export function UserDeleteConfirm({ user, onDeleted, onClose }: Props) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const confirm = async () => {
    if (!user) return;
    setBusy(true);
    setError(null);
    try {
      await deleteUser(user.id);
      onDeleted(user);
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 409 ? failure.message || t('admin.lastAdmin') : errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog
      open={user !== null}
      title={t('admin.deleteUserTitle', { name: user ? user.name || user.phone_number : '' })}
      body={t('admin.deleteUserBody')}
      confirmLabel={t('common.delete')}
      busy={busy}
      error={error}
      onConfirm={() => void confirm()}
      onClose={() => {
        setError(null);
        onClose();
      }}
    />
  );
}
