/** "My files": the user's uploads with reading status, download and delete, plus an upload button. */
import { useId, useRef, useState } from 'react';
import { deleteFile, downloadFile, listFiles, uploadFile } from '../../api/files';
import type { UserFile } from '../../api/types';
import { ConfirmDialog } from '../../components/Dialog';
import { Icon } from '../../components/Icon';
import { Alert, Badge, EmptyState, formatBytes, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n, type MessageKey } from '../../i18n';
import { fileIcon } from '../../lib/fileIcon';
import { partsText } from './partLabel';
import { ProgressBar } from '../../components/ProgressBar';
import { acceptAttribute, checkFile } from '../../lib/fileRules';
import { useAllowedText, useFileCheckText } from '../../hooks/useFileCheckText';
import { useFileRules } from '../../hooks/useFileRules';

const STATUS_TONE: Record<UserFile['extraction_status'], 'neutral' | 'primary' | 'success' | 'warning' | 'danger'> = {
  pending: 'neutral',
  running: 'primary',
  done: 'success',
  failed: 'danger',
  unreadable: 'warning',
  not_applicable: 'neutral',
};

export function FileLibrary() {
  const { t, lang, formatDate } = useI18n();
  const errorText = useErrorText();
  const checkText = useFileCheckText();
  const allowedText = useAllowedText();
  const rules = useFileRules();
  const files = usePaged(listFiles, 'files');
  const inputRef = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const [upload, setUpload] = useState<{ name: string; progress: number } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<UserFile | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  const onPick = async (file: File | undefined) => {
    if (!file) return;
    setMessage(null);
    // Until the rules arrive (or if they cannot be fetched), the server's own check answers.
    const check = rules ? checkFile(file, rules) : null;
    if (rules && check && !check.ok) {
      setMessage(checkText(file, check, rules));
      return;
    }
    setUpload({ name: file.name, progress: 0 });
    try {
      const stored = await uploadFile(file, { onProgress: (progress) => setUpload({ name: file.name, progress }) });
      files.setItems((items) => [stored, ...items]);
    } catch (error) {
      setMessage(t('chat.uploadFailed', { name: file.name, reason: errorText(error) }));
    } finally {
      setUpload(null);
      if (inputRef.current) inputRef.current.value = '';
    }
  };

  const confirmDelete = async () => {
    if (!toDelete) return;
    setDeleting(true);
    setDeleteError(null);
    try {
      await deleteFile(toDelete.id);
      files.setItems((items) => items.filter((f) => f.id !== toDelete.id));
      setToDelete(null);
    } catch (error) {
      setDeleteError(errorText(error));
    } finally {
      setDeleting(false);
    }
  };

  return (
    <section className="panel" aria-labelledby={`${inputId}-title`}>
      <div className="panel__header">
        <div>
          <h2 id={`${inputId}-title`} className="panel__title">
            {t('files.title')}
          </h2>
          <p className="muted">{t('files.subtitle')}</p>
        </div>
        <div>
          <input
            ref={inputRef}
            id={inputId}
            type="file"
            className="visually-hidden"
            accept={rules ? acceptAttribute(rules) : undefined}
            onChange={(e) => void onPick(e.target.files?.[0])}
            disabled={upload !== null}
            data-testid="library-file-input"
          />
          <label htmlFor={inputId} className={`btn btn--secondary${upload ? ' is-disabled' : ''}`}>
            <Icon name="upload" />
            {t('files.upload')}
          </label>
        </div>
      </div>
      {rules && (
        <p className="field__hint">
          {allowedText(rules)}
        </p>
      )}
      {upload && (
        <div className="upload-status">
          <span>{t('chat.uploading', { name: upload.name, percent: Math.round(upload.progress * 100) })}</span>
          <ProgressBar value={upload.progress} label={upload.name} />
        </div>
      )}
      {message && <Alert>{message}</Alert>}
      {files.error != null && (
        <Alert onRetry={files.reload} retryLabel={t('common.retry')}>
          {errorText(files.error)}
        </Alert>
      )}

      {files.items.length === 0 && !files.loading && files.error == null ? (
        <EmptyState icon="file" title={t('files.empty')} />
      ) : (
        <ul className="file-list" data-testid="file-list">
          {files.items.map((file) => (
            <li key={file.id} className="file-row" data-testid="file-row">
              <span className="file-row__icon">
                <Icon name={fileIcon(file.kind)} />
              </span>
              <div className="file-row__main">
                <span className="file-row__name">{file.file_name}</span>
                <span className="file-row__meta">
                  {formatBytes(file.file_size)} · {formatDate(file.created_at, 'date')}
                  {file.part_count != null && file.part_label
                    ? ` · ${partsText(file.part_count, file.part_label, lang)}`
                    : ''}
                </span>
              </div>
              {file.extraction_status !== 'not_applicable' && (
                <span title={file.extraction_error ?? undefined}>
                  <Badge tone={STATUS_TONE[file.extraction_status]}>
                    {t(`files.extraction.${file.extraction_status}` as MessageKey)}
                  </Badge>
                </span>
              )}
              <div className="file-row__actions">
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={t('files.download', { name: file.file_name })}
                  title={t('common.download')}
                  onClick={() => void downloadFile(file.id, file.file_name).catch((e: unknown) => setMessage(errorText(e)))}
                >
                  <Icon name="download" />
                </button>
                <button
                  type="button"
                  className="icon-btn icon-btn--danger"
                  aria-label={t('files.delete', { name: file.file_name })}
                  title={t('common.delete')}
                  onClick={() => {
                    setDeleteError(null);
                    setToDelete(file);
                  }}
                >
                  <Icon name="trash" />
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {files.loading && <Spinner label={t('app.loading')} />}
      {files.hasMore && !files.loading && (
        <button type="button" className="btn btn--ghost" onClick={files.loadMore}>
          {t('common.loadMore')}
        </button>
      )}

      <ConfirmDialog
        open={toDelete !== null}
        title={t('files.deleteTitle')}
        body={t('files.deleteBody', { name: toDelete?.file_name ?? '' })}
        confirmLabel={t('common.delete')}
        busy={deleting}
        error={deleteError}
        onConfirm={() => void confirmDelete()}
        onClose={() => setToDelete(null)}
      />
    </section>
  );
}
