/** Lift one participant's own token caps until the start of next month, or end a lift. */
import { useState } from 'react';
import { ApiError } from '../../api/errors';
import { endUsageCapLift, liftUsageCap } from '../../api/usage';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';

export function CapLiftButton({ userId, name, onStatus }: { userId: string; name: string; onStatus: (text: string) => void }) {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const [until, setUntil] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (lift: boolean) => {
    setBusy(true);
    try {
      if (lift) {
        const done = await liftUsageCap(userId);
        setUntil(done.lifted_until);
        onStatus(t('usage.lifted', { name, until: formatDate(done.lifted_until, 'long') }));
      } else {
        await endUsageCapLift(userId);
        setUntil(null);
        onStatus(t('usage.unlifted', { name }));
      }
    } catch (error) {
      if (!lift && error instanceof ApiError && error.status === 404) {
        setUntil(null);
        onStatus(t('usage.noLift', { name }));
      } else onStatus(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  return until ? (
    <button type="button" className="btn btn--ghost btn--sm" disabled={busy} onClick={() => void run(false)} aria-label={t('usage.unliftLabel', { name })}>
      {t('usage.unlift')}
    </button>
  ) : (
    <button type="button" className="btn btn--ghost btn--sm" disabled={busy} onClick={() => void run(true)} aria-label={t('usage.liftLabel', { name })} data-testid="cap-lift">
      {t('usage.lift')}
    </button>
  );
}
