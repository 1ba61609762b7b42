/**
 * Sign-in in two steps: the WhatsApp number, then the one-time code sent there. Admins and
 * mentors with an authenticator app take a third: its code (SecondFactorForm).
 */
import { useEffect, useId, useRef, useState, type SyntheticEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { requestOtp } from '../../api/auth';
import { ApiError } from '../../api/errors';
import { CodeInput } from '../../components/CodeInput';
import { Icon } from '../../components/Icon';
import { LanguageSwitch } from '../../components/LanguageSwitch';
import { ThemeSwitch } from '../../theme/ThemeSwitch';
import { Alert } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useAuth } from '../../lib/auth';
import { DevCodeHint } from './DevCodeHint';
import { SecondFactorForm } from './SecondFactorForm';
import { waitText } from '../../i18n/wait';
import { normalisePhone } from '../../lib/phone';

const RESEND_COOLDOWN_S = 30;

function useCountdown(): [number, (seconds: number) => void] {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= now) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until, now]);
  const remaining = Math.max(0, Math.ceil((until - now) / 1000));
  return [
    remaining,
    (seconds) => {
      const start = Date.now();
      setNow(start);
      setUntil(start + seconds * 1000);
    },
  ];
}

export function LoginPage() {
  const { t } = useI18n();
  const { status, notice, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const errorText = useErrorText();
  const [step, setStep] = useState<'phone' | 'code' | 'second_factor'>('phone');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [challengeOver, setChallengeOver] = useState(false);
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [cooldown, startCooldown] = useCountdown();
  const phoneId = useId();
  const errorId = useId();
  const codeInput = useRef<HTMLInputElement>(null);
  const from = (location.state as { from?: string } | null)?.from ?? '/';

  useEffect(() => {
    if (step === 'code') codeInput.current?.focus();
  }, [step]);

  if (status === 'signed_in') return <Navigate to={from} replace />;

  const rateLimited = (err: ApiError) => {
    if (err.retryAfter) startCooldown(err.retryAfter);
    return err.retryAfter ? t('auth.rateLimited', { wait: waitText(t, err.retryAfter) }) : t('auth.rateLimitedShort');
  };

  const sendCode = async (event?: SyntheticEvent) => {
    event?.preventDefault();
    if (busy || cooldown > 0) return;
    setBusy(true);
    setError(null);
    try {
      await requestOtp(normalisePhone(phone));
      setChallengeOver(false);
      setStep('code');
      setCode('');
      startCooldown(RESEND_COOLDOWN_S);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(rateLimited(err));
      else if (err instanceof ApiError && (err.status === 422 || err.status === 400)) setError(t('auth.invalidPhone'));
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const verify = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const result = await signIn(normalisePhone(phone), code.trim());
      if (result.kind === 'second_factor') {
        setChallenge(result.challengeToken);
        setStep('second_factor');
        setBusy(false);
        return;
      }
      void navigate(from, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(rateLimited(err));
      // One answer for a wrong, expired or used code and for an unknown or inactive account.
      else if (err instanceof ApiError && (err.status === 401 || err.code === 'invalid_code')) setError(t('auth.invalidCode'));
      else setError(errorText(err));
      setBusy(false);
    }
  };

  const describedBy = (hint: string) => (error ? `${hint} ${errorId}` : hint);

  return (
    <div className="auth">
      <header className="auth__lang">
        <ThemeSwitch />
        <LanguageSwitch />
      </header>
      <main className="auth__card" id="main">
        <div className="auth__brand">
          <span className="brand-mark" aria-hidden="true">
            I
          </span>
          <div>
            <p className="auth__name">{t('app.name')}</p>
            <p className="auth__tagline">{t('app.tagline')}</p>
          </div>
        </div>
        <h1 className="auth__title">{t('auth.title')}</h1>

        {notice === 'expired' && step === 'phone' && <Alert tone="info">{t('auth.expired')}</Alert>}
        {challengeOver && step === 'phone' && <Alert tone="info">{t('totp.challengeOver')}</Alert>}

        {step === 'second_factor' && challenge !== null ? (
          <SecondFactorForm
            challengeToken={challenge}
            onSignedIn={() => void navigate(from, { replace: true })}
            onExpired={() => {
              setChallenge(null);
              setChallengeOver(true);
              setStep('phone');
            }}
          />
        ) : step === 'phone' ? (
          <form onSubmit={sendCode} noValidate className="form" data-testid="phone-form">
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
                  onChange={(e) => setPhone(e.target.value)}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={describedBy(`${phoneId}-hint`)}
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
        ) : (
          <form onSubmit={verify} noValidate className="form" data-testid="code-form">
            <p className="muted">{t('auth.codeSent', { phone: normalisePhone(phone) })}</p>
            <CodeInput
              ref={codeInput}
              label={t('auth.code')}
              maxLength={8}
              required
              value={code}
              onChange={setCode}
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
              <button
                type="button"
                className="link-btn"
                onClick={() => {
                  setStep('phone');
                  setError(null);
                }}
              >
                {t('auth.changeNumber')}
              </button>
              <button type="button" className="link-btn" onClick={() => void sendCode()} disabled={busy || cooldown > 0}>
                {cooldown > 0 ? t('auth.resendIn', { wait: waitText(t, cooldown) }) : t('auth.resend')}
              </button>
            </div>
          </form>
        )}
        {/* Below the form: it arrives after a request, and content added above would push the form down. */}
        <DevCodeHint />
      </main>
    </div>
  );
}
