/** The first sign-in step: the WhatsApp number to send the code to. */
import { useId, type SyntheticEvent } from 'react';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { normalisePhone } from '../../lib/phone';

interface Props {
  phone: string;
  onPhoneChange: (phone: string) => void;
  busy: boolean;
  /** Seconds until another code may be asked for. */
  cooldown: number;
  error: string | null;
  onSubmit: (event: SyntheticEvent) => void;
}

export function PhoneForm({ phone, onPhoneChange, busy, cooldown, error, onSubmit }: Props) {
  const { t } = useI18n();
  const phoneId = useId();
  const errorId = useId();
  return (
    <form onSubmit={onSubmit} noValidate className="form" data-testid="phone-form">
      <p className="muted">{t('auth.subtitle')}</p>
      <div className="field">
        <label htmlFor={phoneId}>{t('auth.phone')}</label>
        <div className="input-with-icon">
          <Icon name="phone" />
          <input
            id={phoneId}
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            required
            placeholder="+34 600 123 456"
            value={phone}
            onChange={(e) => onPhoneChange(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${phoneId}-hint ${errorId}` : `${phoneId}-hint`}
            data-testid="phone-input"
            autoFocus
          />
        </div>
        <p id={`${phoneId}-hint`} className="field__hint">
          {t('auth.phoneHint')}
        </p>
      </div>
      <p id={errorId} className="form-error" role="alert">
        {error}
      </p>
      <button
        type="submit"
        className="btn btn--primary btn--block"
        disabled={busy || cooldown > 0 || normalisePhone(phone).length < 6}
        data-testid="request-code"
      >
        {busy ? t('auth.sending') : t('auth.sendCode')}
      </button>
      <p className="auth__fineprint">{t('auth.privacy')}</p>
    </form>
  );
}
