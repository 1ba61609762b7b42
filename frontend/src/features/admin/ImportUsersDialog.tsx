/**
 * Enrol a cohort from a spreadsheet: pick a CSV file (name, phone, optional language and
 * cohort), see how many were enrolled and, line by line, why the others were not.
 */
import { useId, useState } from 'react';
import { importUsers } from '../../api/users';
import type { ImportReport } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n, type MessageKey } from '../../i18n';

const MAX_BYTES = 1024 * 1024;

export function ImportUsersDialog({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: (created: number) => void }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);

  const close = () => {
    setFile(null);
    setReport(null);
    setError(null);
    onClose();
  };

  const submit = async () => {
    if (!file) return;
    if (file.size > MAX_BYTES) {
      setError(t('import.tooLarge'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await importUsers(await file.text());
      setReport(result);
      if (result.created > 0) onImported(result.created);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const footer = report ? (
    <button type="button" className="btn btn--primary" onClick={close}>
      {t('common.close')}
    </button>
  ) : (
    <>
      <button type="button" className="btn btn--ghost" onClick={close}>
        {t('common.cancel')}
      </button>
      <button type="submit" className="btn btn--primary" disabled={!file || busy} data-testid="import-submit">
        {busy ? t('import.importing') : t('import.submit')}
      </button>
    </>
  );

  return (
    <Dialog open={open} title={t('import.title')} onClose={close} onSubmit={() => void submit()} footer={footer} testId="import-dialog">
      {report ? (
        <div data-testid="import-report">
          <p role="status">{t('import.created', { n: report.created })}</p>
          {report.problems.length > 0 && (
            <>
              <p>{t('import.refused', { n: report.problems.length })}</p>
              <table className="table import-report">
                <thead>
                  <tr>
                    <th scope="col">{t('import.line')}</th>
                    <th scope="col">{t('admin.name')}</th>
                    <th scope="col">{t('import.reason')}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.problems.map((p) => (
                    <tr key={p.line} data-testid="import-problem" data-reason={p.reason}>
                      <td>{p.line}</td>
                      <td>{p.name ?? t('common.none')}</td>
                      <td>{t(`import.reason.${p.reason}` as MessageKey)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      ) : (
        <div className="form">
          <p className="muted">{t('import.help')}</p>
          <div className="field">
            <label htmlFor={`${id}-file`}>{t('import.file')}</label>
            <input
              id={`${id}-file`}
              type="file"
              accept=".csv,text/csv"
              onChange={(event) => setFile(event.target.files?.[0] ?? null)}
              data-testid="import-file"
            />
          </div>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </Dialog>
  );
}
