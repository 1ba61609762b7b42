/** The first sign-in step: the WhatsApp number to send the code to. */
import { useId, type SyntheticEvent } from 'react';
import { PhoneInput } from '../../components/PhoneInput';
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
  const errorId = useId();
  return (
    <form onSubmit={onSubmit} noValidate className="form" data-testid="phone-form">
      <p className="muted">{t('auth.subtitle')}</p>
      <PhoneInput
        label={t('auth.phone')}
        value={phone}
        onChange={onPhoneChange}
        ownNumber
        icon
        autoFocus
        invalid={Boolean(error)}
        describedBy={error ? errorId : undefined}
        testId="phone-input"
      />
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
