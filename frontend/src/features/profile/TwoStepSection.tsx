/**
 * Two-step sign-in on the profile page (admins and mentors): set up an authenticator app,
 * see whether it is on, make new recovery codes, turn it off. Secrets and codes live only
 * in this component's state while shown.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { disableTotp, getTotpStatus, regenerateRecoveryCodes, startTotpEnrolment } from '../../api/totp';
import type { TotpEnrolment } from '../../api/types';
import { Alert, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useAuth } from '../../lib/auth';
import { RecoveryCodesPanel } from './RecoveryCodesPanel';
import { TotpCodeForm } from './TotpCodeForm';
import { TotpEnrolmentForm } from './TotpEnrolmentForm';

const TOTP_KEY = ['totp'] as const;

type Step =
  | { kind: 'idle' }
  | { kind: 'enrolling'; enrolment: TotpEnrolment }
  | { kind: 'codes'; codes: string[]; notice?: string }
  | { kind: 'disabling' }
  | { kind: 'regenerating' };

/** `onCodesSaved`: the person confirmed they saved new recovery codes (the required-enrolment page moves on). */
export function TwoStepSection({ onCodesSaved }: { onCodesSaved?: () => void }) {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const { setEnrolmentRequired } = useAuth();
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: TOTP_KEY, queryFn: getTotpStatus });
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const refresh = () => queryClient.invalidateQueries({ queryKey: TOTP_KEY });

  const start = async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setStep({ kind: 'enrolling', enrolment: await startTotpEnrolment() });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const disable = async (code: string) => {
    await disableTotp(code);
    setStep({ kind: 'idle' });
    setNotice(t('totp.disabledNotice'));
    const next = await getTotpStatus();
    queryClient.setQueryData(TOTP_KEY, next);
    if (next.enrolment_required) setEnrolmentRequired(true);
  };

  const data = status.data;
  return (
    <section className="panel" aria-labelledby={titleId} data-testid="two-step">
      <div className="panel__header">
        <div>
          <h2 id={titleId} className="panel__title">
            {t('totp.title')}
          </h2>
          <p className="muted">{t('totp.subtitle')}</p>
        </div>
      </div>
      {status.isPending && <Spinner />}
      {(error !== null || status.error != null) && <Alert>{error ?? errorText(status.error)}</Alert>}
      {notice && step.kind === 'idle' && <Alert tone="success">{notice}</Alert>}
      {data && step.kind === 'idle' && (
        <div className="totp-status">
          <p data-testid="totp-state">
            <strong>{data.enabled && data.enabled_at ? t('totp.on', { when: formatDate(data.enabled_at, 'date') }) : t('totp.off')}</strong>
            {data.required && <span className="muted"> · {t('totp.requiredNote')}</span>}
          </p>
          {data.enabled && <p className="muted">{t('totp.codesLeft', { count: data.recovery_codes_left })}</p>}
          <div className="form__actions">
            {data.enabled ? (
              <>
                <button type="button" className="btn btn--secondary" onClick={() => setStep({ kind: 'regenerating' })}>
                  {t('totp.regenerate')}
                </button>
                <button type="button" className="btn btn--danger" onClick={() => setStep({ kind: 'disabling' })} data-testid="totp-disable">
                  {t('totp.disable')}
                </button>
              </>
            ) : (
              <button type="button" className="btn btn--primary" onClick={() => void start()} disabled={busy} data-testid="totp-start">
                {busy ? t('totp.starting') : t('totp.start')}
              </button>
            )}
          </div>
        </div>
      )}
      {step.kind === 'enrolling' && (
        <TotpEnrolmentForm
          enrolment={step.enrolment}
          onConfirmed={(codes) => {
            setStep({ kind: 'codes', codes, notice: t('totp.enabledNotice') });
            void refresh();
          }}
          onCancel={() => setStep({ kind: 'idle' })}
        />
      )}
      {step.kind === 'codes' && (
        <RecoveryCodesPanel
          codes={step.codes}
          notice={step.notice}
          onDone={() => {
            setStep({ kind: 'idle' });
            onCodesSaved?.();
          }}
        />
      )}
      {step.kind === 'disabling' && (
        <TotpCodeForm intro={t('totp.disableIntro')} submitLabel={t('totp.disable')} allowRecovery onSubmit={disable} onCancel={() => setStep({ kind: 'idle' })} testId="totp-disable-form" />
      )}
      {step.kind === 'regenerating' && (
        <TotpCodeForm
          intro={t('totp.regenerateIntro')}
          submitLabel={t('totp.regenerate')}
          onSubmit={async (code) => {
            setStep({ kind: 'codes', codes: await regenerateRecoveryCodes(code) });
            void refresh();
          }}
          onCancel={() => setStep({ kind: 'idle' })}
          testId="totp-regenerate-form"
        />
      )}
    </section>
  );
}
