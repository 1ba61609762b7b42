/** The second sign-in step for admins and mentors with an authenticator app: its code, or a recovery code. */
import { useEffect, useId, useRef, useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/errors';
import { CodeInput } from '../../components/CodeInput';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useAuth } from '../../lib/auth';

interface Props {
  challengeToken: string;
  /** The challenge is over (used, expired, too many wrong codes): start again from the number. */
  onExpired: () => void;
  onSignedIn: () => void;
}

export function SecondFactorForm({ challengeToken, onExpired, onSignedIn }: Props) {
  const { t } = useI18n();
  const { completeSecondFactor } = useAuth();
  const errorText = useErrorText();
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, [recovery]);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await completeSecondFactor(challengeToken, code.trim());
      onSignedIn();
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === 'second_factor_expired') onExpired();
      else if (err instanceof ApiError && err.status === 401) setError(t(recovery ? 'totp.invalidRecovery' : 'totp.invalidCode'));
      else setError(errorText(err));
    }
  };

  const ready = recovery ? code.replace(/[^a-z0-9]/gi, '').length >= 10 : code.length === 6;

  return (
    <form onSubmit={submit} noValidate className="form" data-testid="second-factor-form">
      <p className="muted">{t(recovery ? 'totp.signInRecoveryIntro' : 'totp.signInIntro')}</p>
      <CodeInput
        ref={input}
        label={t(recovery ? 'totp.recoveryCode' : 'totp.appCode')}
        recovery={recovery}
        maxLength={recovery ? 16 : 6}
        required
        value={code}
        onChange={setCode}
        invalid={Boolean(error)}
        describedBy={error ? errorId : undefined}
        testId="second-factor-input"
      />
      <p id={errorId} className="form-error" role="alert">
        {error}
      </p>
      <button type="submit" className="btn btn--primary btn--block" disabled={busy || !ready} data-testid="second-factor-submit">
        {busy ? t('auth.verifying') : t('auth.verify')}
      </button>
      <div className="auth__links">
        <button
          type="button"
          className="link-btn"
          onClick={() => {
            setRecovery(!recovery);
            setCode('');
            setError(null);
          }}
          data-testid="second-factor-switch"
        >
          {t(recovery ? 'totp.useApp' : 'totp.useRecovery')}
        </button>
      </div>
    </form>
  );
}
