/**
 * The WhatsApp simulator (admins, development only): pick an enrolled participant and use
 * WhatsApp as them. Messages go in through the real signed webhook and come back from the
 * app's own WhatsApp sender, so what shows here is what their phone would show.
 */
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError } from '../../api/errors';
import { simulatorInfo } from '../../api/simulator';
import { EmptyState } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { Phone } from './Phone';

export function SimulatorPage() {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  // The top bar holds this query forever (is the simulator on?); the page reads it fresh, so a
  // participant enrolled a moment ago is in the list.
  const info = useQuery({ queryKey: ['simulator'], queryFn: simulatorInfo, retry: false, refetchOnMount: 'always' });
  const [chosen, setChosen] = useState<string>('');
  const participants = info.data?.participants ?? [];
  const participant = participants.find((p) => p.id === chosen) ?? null;

  if (info.error) {
    const off = info.error instanceof ApiError && info.error.status === 404;
    return (
      <main className="page page--narrow" id="main">
        <EmptyState icon="phone" title={off ? t('sim.off') : errorText(info.error)} heading={1} />
      </main>
    );
  }

  return (
    <main className="page sim" id="main">
      <div className="sim__intro">
        <h1 className="page__title">{t('sim.title')}</h1>
        <p className="muted">{t('sim.subtitle')}</p>
        <div className="field">
          <label htmlFor={`${id}-who`}>{t('sim.participant')}</label>
          <select id={`${id}-who`} value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="sim-participant">
            <option value="">{t('sim.choose')}</option>
            {participants.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name ? `${p.name} · ${p.phone_number}` : p.phone_number}
              </option>
            ))}
          </select>
        </div>
      </div>
      {participant && <Phone key={participant.id} participant={participant} />}
    </main>
  );
}
