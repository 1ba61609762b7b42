/** Recovery codes, shown once: copy them, download them, then say they are saved. */
import { useId, useState } from 'react';
import { Alert } from '../../components/ui';
import { useI18n } from '../../i18n';

const FILE_NAME = 'ignacio-recovery-codes.txt';

export function RecoveryCodesPanel({ codes, notice, onDone }: { codes: string[]; notice?: string; onDone: () => void }) {
  const { t } = useI18n();
  const titleId = useId();
  const [copied, setCopied] = useState(false);
  const text = `${codes.join('\n')}\n`;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard here: the codes are on screen and in the download
    }
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = FILE_NAME;
    link.click();
    URL.revokeObjectURL(url);
  };

  return (
    <div className="totp-codes" role="region" aria-labelledby={titleId} data-testid="recovery-codes">
      {notice && <Alert tone="success">{notice}</Alert>}
      <h3 id={titleId} className="totp__heading">
        {t('totp.codesTitle')}
      </h3>
      <p className="muted">{t('totp.codesIntro')}</p>
      <ol className="totp-codes__list">
        {codes.map((code) => (
          <li key={code}>
            <code data-testid="recovery-code">{code}</code>
          </li>
        ))}
      </ol>
      <div className="form__actions">
        <span aria-live="polite" className="form__status">
          {copied && <span className="text-success">{t('totp.copied')}</span>}
        </span>
        <button type="button" className="btn btn--secondary" onClick={() => void copy()}>
          {t('totp.copy')}
        </button>
        <button type="button" className="btn btn--secondary" onClick={download} data-testid="download-recovery-codes">
          {t('totp.download')}
        </button>
        <button type="button" className="btn btn--primary" onClick={onDone} data-testid="recovery-codes-saved">
          {t('totp.codesSaved')}
        </button>
      </div>
    </div>
  );
}
