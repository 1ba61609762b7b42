/** The second sign-in step: the one-time code sent over WhatsApp, with a resend and a way back to the number. */
import { useEffect, useId, useRef, type SyntheticEvent } from 'react';
import { CodeInput } from '../../components/CodeInput';
import { useI18n } from '../../i18n';
import { waitText } from '../../i18n/wait';

interface Props {
  /** The number the code went to, as sent. */
  phone: string;
  code: string;
  onCodeChange: (code: string) => void;
  busy: boolean;
  /** Seconds until another code may be asked for. */
  cooldown: number;
  error: string | null;
  onSubmit: (event: SyntheticEvent) => void;
  onChangeNumber: () => void;
  onResend: () => void;
}

export function SignInCodeForm({ phone, code, onCodeChange, busy, cooldown, error, onSubmit, onChangeNumber, onResend }: Props) {
  const { t } = useI18n();
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, []);

  return (
    <form onSubmit={onSubmit} noValidate className="form" data-testid="code-form">
      <p className="muted">{t('auth.codeSent', { phone })}</p>
      <CodeInput
        ref={input}
        label={t('auth.code')}
        maxLength={8}
        required
        value={code}
        onChange={onCodeChange}
        hint={t('auth.codeHint')}
        invalid={Boolean(error)}
        describedBy={error ? errorId : undefined}
        testId="code-input"
      />
      <p id={errorId} className="form-error" role="alert">
        {error}
      </p>
      <button type="submit" className="btn btn--primary btn--block" disabled={busy || code.length < 4} data-testid="verify-code">
        {busy ? t('auth.verifying') : t('auth.verify')}
      </button>
      <div className="auth__links">
        <button type="button" className="link-btn" onClick={onChangeNumber}>
          {t('auth.changeNumber')}
        </button>
        <button type="button" className="link-btn" onClick={onResend} disabled={busy || cooldown > 0}>
          {cooldown > 0 ? t('auth.resendIn', { wait: waitText(t, cooldown) }) : t('auth.resend')}
        </button>
      </div>
    </form>
  );
}
