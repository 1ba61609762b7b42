/** "Download my data": everything Ignacio holds about the participant, as a ZIP. */
import { useState } from 'react';
import { downloadMyData } from '../../api/downloads';
import { Icon } from '../../components/Icon';
import { Alert, LiveMessage } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';

export function DataExport() {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState('');

  const download = async () => {
    setBusy(true);
    setError(null);
    setStatus(t('export.preparing'));
    try {
      await downloadMyData();
      setStatus(t('export.done'));
    } catch (err) {
      setStatus('');
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="data-export-title" data-testid="data-export">
      <div className="panel__header">
        <h2 id="data-export-title" className="panel__title">
          {t('export.title')}
        </h2>
        <button type="button" className="btn btn--secondary" onClick={() => void download()} disabled={busy} data-testid="download-my-data">
          <Icon name="download" />
          {busy ? t('export.preparing') : t('export.download')}
        </button>
      </div>
      <p className="muted">{t('export.body')}</p>
      <LiveMessage className="text-success">{status}</LiveMessage>
      {error != null && <Alert>{errorText(error)}</Alert>}
    </section>
  );
}
