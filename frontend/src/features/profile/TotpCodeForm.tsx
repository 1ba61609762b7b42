/** One code from the authenticator app (or a recovery code, where allowed), for a step that needs it. */
import { useId, useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/errors';
import { CodeInput } from '../../components/CodeInput';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';

interface Props {
  intro: string;
  submitLabel: string;
  allowRecovery?: boolean;
  onSubmit: (code: string) => Promise<void>;
  onCancel?: () => void;
  testId: string;
}

export function TotpCodeForm({ intro, submitLabel, allowRecovery = false, onSubmit, onCancel, testId }: Props) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(code.trim());
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'invalid_totp_code' ? t('totp.invalidCode') : errorText(err));
      setBusy(false);
    }
  };

  return (
    <form className="form totp-form" onSubmit={submit} noValidate data-testid={testId}>
      <p className="muted" id={`${id}-intro`}>
        {intro}
      </p>
      <CodeInput
        label={t('totp.appCode')}
        recovery={allowRecovery}
        maxLength={allowRecovery ? 16 : 6}
        value={code}
        onChange={setCode}
        invalid={Boolean(error)}
        describedBy={error ? `${id}-intro ${id}-error` : `${id}-intro`}
        testId={`${testId}-code`}
      />
      <p id={`${id}-error`} className="form-error" role="alert">
        {error}
      </p>
      <div className="form__actions">
        {onCancel && (
          <button type="button" className="btn btn--secondary" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
        <button type="submit" className="btn btn--primary" disabled={busy || code.length < 6} data-testid={`${testId}-submit`}>
          {busy ? t('totp.checking') : submitLabel}
        </button>
      </div>
    </form>
  );
}
