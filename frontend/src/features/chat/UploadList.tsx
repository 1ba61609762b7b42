/** The composer's files above its text: each upload with its progress, size or error, and the files refused. */
import { Icon } from '../../components/Icon';
import { ProgressBar } from '../../components/ProgressBar';
import { formatBytes } from '../../components/ui';
import { useI18n } from '../../i18n';
import { fileIcon } from '../../lib/fileIcon';
import type { Upload } from './useUploads';

export function UploadList({ uploads, rejections, onRemove }: { uploads: Upload[]; rejections: string[]; onRemove: (upload: Upload) => void }) {
  const { t } = useI18n();
  if (uploads.length === 0 && rejections.length === 0) return null;
  return (
    <div className="composer__files">
      <ul className="composer__uploads" aria-label={t('chat.attach')}>
        {uploads.map((upload) => (
          <li key={upload.key} className={upload.error ? 'upload has-error' : 'upload'} data-testid="composer-attachment">
            <Icon name={fileIcon(upload.stored?.kind ?? '')} size={16} />
            <div className="upload__main">
              <span className="upload__name">{upload.file.name}</span>
              {upload.error ? (
                <span className="form-error" role="alert">
                  {upload.error}
                </span>
              ) : upload.stored ? (
                <span className="upload__size">{formatBytes(upload.file.size)}</span>
              ) : (
                <ProgressBar value={upload.progress} label={t('chat.uploading', { name: upload.file.name, percent: Math.round(upload.progress * 100) })} />
              )}
            </div>
            <button
              type="button"
              className="icon-btn icon-btn--sm"
              onClick={() => onRemove(upload)}
              aria-label={t('chat.removeAttachment', { name: upload.file.name })}
            >
              <Icon name="x" size={14} />
            </button>
          </li>
        ))}
      </ul>
      {rejections.map((problem) => (
        <p key={problem} className="form-error" role="alert">
          {problem}
        </p>
      ))}
    </div>
  );
}
