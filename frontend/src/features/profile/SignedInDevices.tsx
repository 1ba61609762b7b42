/** "Where you are signed in": the participant's sessions, each one revocable, plus sign-out everywhere. */
import { useId, useState } from 'react';
import { listSessions, logoutEverywhere, revokeSession } from '../../api/auth';
import type { SignedInDevice } from '../../api/types';
import { ConfirmDialog } from '../../components/Dialog';
import { Alert, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';

type Pending = { kind: 'one'; device: SignedInDevice } | { kind: 'all' };

const loadDevices = async () => ({ items: await listSessions(), next_cursor: null });

export function SignedInDevices() {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const titleId = useId();
  const devices = usePaged(loadDevices, 'sessions');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      if (pending.kind === 'all') {
        await logoutEverywhere();
        window.location.assign('/login');
        return;
      }
      await revokeSession(pending.device.id);
      devices.setItems((list) => list.filter((d) => d.id !== pending.device.id));
      setPending(null);
    } catch (e) {
      setError(errorText(e));
      setPending(null);
    } finally {
      setBusy(false);
    }
  };

  const name = (device: SignedInDevice) => device.device ?? t('sessions.unknownDevice');

  return (
    <section className="panel" aria-labelledby={titleId} data-testid="signed-in-devices">
      <div className="panel__header">
        <div>
          <h2 id={titleId} className="panel__title">
            {t('sessions.title')}
          </h2>
          <p className="muted">{t('sessions.subtitle')}</p>
        </div>
      </div>
      {(error !== null || devices.error != null) && (
        <Alert onRetry={devices.reload} retryLabel={t('common.retry')}>
          {error ?? errorText(devices.error)}
        </Alert>
      )}
      {devices.loading && <Spinner />}
      {devices.items.length > 0 && (
        <ul className="device-list">
          {devices.items.map((device) => (
            <li key={device.id} className="device-list__item" data-testid="device">
              <div>
                <strong>{name(device)}</strong>
                {device.current && <span className="badge">{t('sessions.thisDevice')}</span>}
                <p className="muted">
                  {t('sessions.lastUsed', { when: formatDate(device.last_used_at, 'long') })} ·{' '}
                  {t('sessions.signedIn', { when: formatDate(device.created_at, 'date') })}
                </p>
              </div>
              {!device.current && (
                <button
                  type="button"
                  className="btn btn--secondary"
                  onClick={() => setPending({ kind: 'one', device })}
                  aria-label={t('sessions.signOutDevice', { device: name(device) })}
                  data-testid="revoke-device"
                >
                  {t('sessions.signOut')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="form__actions">
        <button type="button" className="btn btn--danger" onClick={() => setPending({ kind: 'all' })} data-testid="sign-out-everywhere">
          {t('sessions.signOutEverywhere')}
        </button>
      </div>
      <ConfirmDialog
        open={pending !== null}
        title={pending?.kind === 'all' ? t('sessions.everywhereTitle') : t('sessions.oneTitle')}
        body={
          pending?.kind === 'all' ? t('sessions.everywhereBody') : t('sessions.oneBody', { device: pending ? name(pending.device) : '' })
        }
        confirmLabel={pending?.kind === 'all' ? t('sessions.signOutEverywhere') : t('sessions.signOut')}
        busy={busy}
        onConfirm={confirm}
        onClose={() => setPending(null)}
      />
    </section>
  );
}
