/** Create a user, or edit one's name, language and admin flag. */
import { useId, useState } from 'react';
import { ApiError } from '../../api/errors';
import type { Language, User } from '../../api/types';
import { createUser, updateUser } from '../../api/users';
import { Dialog } from '../../components/Dialog';
import { PhoneInput } from '../../components/PhoneInput';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { normalisePhone } from '../../lib/phone';
import { UserCohorts } from './UserCohorts';

interface UserDialogProps {
  open: boolean;
  /** null: create a new user. */
  user: User | null;
  onClose: () => void;
  onSaved: (user: User, created: boolean) => void;
}

export function UserDialog(props: UserDialogProps) {
  // Remount per open, so the form starts from the user being edited.
  return props.open ? <UserForm key={props.user?.id ?? 'new'} {...props} /> : null;
}

function UserForm({ user, onClose, onSaved }: UserDialogProps) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const [name, setName] = useState(user?.name ?? '');
  const [phone, setPhone] = useState('');
  const [language, setLanguage] = useState<Language>(user?.preferred_language ?? 'es');
  const [isAdmin, setIsAdmin] = useState(user?.is_admin ?? false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The server refused the number itself: the field is marked and points at the message.
  const [phoneRefused, setPhoneRefused] = useState(false);
  const errorId = `${id}-error`;

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const saved = user
        ? await updateUser(user.id, { ...(name.trim() ? { name: name.trim() } : {}), preferred_language: language, is_admin: isAdmin })
        : await createUser({ phone_number: normalisePhone(phone), ...(name.trim() ? { name: name.trim() } : {}), preferred_language: language, is_admin: isAdmin });
      onSaved(saved, user === null);
    } catch (err) {
      const refused = err instanceof ApiError && err.status === 422 && !user;
      setPhoneRefused(refused);
      setError(refused ? t('auth.invalidPhone') : errorText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      title={user ? t('admin.editUser') : t('admin.newUser')}
      onClose={onClose}
      onSubmit={() => void submit()}
      testId="user-dialog"
      footer={
        <>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn--primary" disabled={busy || (!user && normalisePhone(phone).length < 6)} data-testid="user-save">
            {busy ? t('common.saving') : user ? t('common.save') : t('admin.createUser')}
          </button>
        </>
      }
    >
      <div className="form">
        {!user && (
          <PhoneInput
            label={t('admin.phone')}
            value={phone}
            onChange={(value) => {
              setPhone(value);
              setPhoneRefused(false);
            }}
            autoFocus
            invalid={phoneRefused}
            describedBy={phoneRefused ? errorId : undefined}
            testId="user-phone"
          />
        )}
        {user && (
          <p className="muted">
            {t('admin.phone')}: {user.phone_number}
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-name`}>{t('admin.name')}</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} data-testid="user-name" autoFocus={Boolean(user)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-lang`}>{t('admin.language')}</label>
          <select id={`${id}-lang`} value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
            <option value="es">{t('app.lang.es')}</option>
            <option value="en">{t('app.lang.en')}</option>
          </select>
        </div>
        <div className="field field--check">
          <input id={`${id}-admin`} type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
          <label htmlFor={`${id}-admin`}>{t('admin.isAdmin')}</label>
        </div>
        {user && !user.is_admin && <UserCohorts userId={user.id} />}
        <p id={errorId} className="form-error" role="alert">
          {error}
        </p>
      </div>
    </Dialog>
  );
}
