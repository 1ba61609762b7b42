/**
 * Sign-in in two steps: the WhatsApp number (PhoneForm), then the one-time code sent there
 * (SignInCodeForm). Admins and mentors with an authenticator app take a third: its code
 * (SecondFactorForm). The page holds the flow: the requests, their errors and the resend wait.
 */
import { useState, type SyntheticEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { requestOtp } from '../../api/auth';
import { ApiError } from '../../api/errors';
import { LanguageSwitch } from '../../components/LanguageSwitch';
import { ThemeSwitch } from '../../theme/ThemeSwitch';
import { Alert } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useAuth } from '../../lib/auth';
import { DevCodeHint } from './DevCodeHint';
import { SecondFactorForm } from './SecondFactorForm';
import { waitText } from '../../i18n/wait';
import { PhoneForm } from './PhoneForm';
import { SignInCodeForm } from './SignInCodeForm';
import { useCountdown } from './useCountdown';
import { normalisePhone } from '../../lib/phone';

const RESEND_COOLDOWN_S = 30;

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
  const from = (location.state as { from?: string } | null)?.from ?? '/';

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
          <PhoneForm phone={phone} onPhoneChange={setPhone} busy={busy} cooldown={cooldown} error={error} onSubmit={sendCode} />
        ) : (
          <SignInCodeForm
            phone={normalisePhone(phone)}
            code={code}
            onCodeChange={setCode}
            busy={busy}
            cooldown={cooldown}
            error={error}
            onSubmit={verify}
            onChangeNumber={() => {
              setStep('phone');
              setError(null);
            }}
            onResend={() => void sendCode()}
          />
        )}
        {/* Below the form: it arrives after a request, and content added above would push the form down. */}
        <DevCodeHint />
      </main>
    </div>
  );
}
