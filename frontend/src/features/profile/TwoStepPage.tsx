/**
 * Where an admin or mentor without an authenticator app lands when the program requires one:
 * the server answers nothing else for them until it is set up.
 */
import { useNavigate } from 'react-router';
import { LanguageSwitch } from '../../components/LanguageSwitch';
import { useI18n } from '../../i18n';
import { ThemeSwitch } from '../../theme/ThemeSwitch';
import { useAuth } from '../../lib/auth';
import { TwoStepSection } from './TwoStepSection';

export function TwoStepPage() {
  const { t } = useI18n();
  const { signOut, setEnrolmentRequired } = useAuth();
  const navigate = useNavigate();

  return (
    <div className="auth auth--wide">
      <header className="auth__lang">
        <ThemeSwitch />
        <LanguageSwitch />
      </header>
      <main className="page page--narrow" id="main" data-testid="two-step-page">
        <header className="page__header">
          <h1 className="page__title">{t('totp.requiredTitle')}</h1>
          <p className="muted">{t('totp.requiredBody')}</p>
        </header>
        <TwoStepSection
          onCodesSaved={() => {
            setEnrolmentRequired(false);
            void navigate('/', { replace: true });
          }}
        />
        <div className="form__actions">
          <button
            type="button"
            className="btn btn--secondary"
            onClick={() => void signOut().then(() => navigate('/login', { replace: true }))}
            data-testid="two-step-sign-out"
          >
            {t('nav.signOut')}
          </button>
        </div>
      </main>
    </div>
  );
}
