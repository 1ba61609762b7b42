/** Files attached to a message: images previewed, everything downloadable (with the bearer token). */
import { useEffect, useState } from 'react';
import { downloadFile, fetchFileBlob } from '../../api/files';
import type { Attachment } from '../../api/types';
import { Icon } from '../Icon';
import { formatBytes } from '../ui';
import { useI18n } from '../../i18n';
import { fileIcon } from '../../lib/fileIcon';

function useBlobUrl(fileId: string, enabled: boolean): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let objectUrl: string | null = null;
    fetchFileBlob(fileId, controller.signal).then(
      (blob) => {
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      },
      () => undefined,
    );
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [fileId, enabled]);
  return url;
}

function Media({ attachment }: { attachment: Attachment }) {
  const kind = attachment.kind;
  const previewable = kind === 'image' || kind === 'audio' || kind === 'video';
  const url = useBlobUrl(attachment.file_id, previewable);
  if (!url) return null;
  if (kind === 'image') return <img className="attachment__image" src={url} alt={attachment.file_name} loading="lazy" />;
  if (kind === 'audio') return <audio className="attachment__audio" src={url} controls preload="metadata" />;
  return <video className="attachment__video" src={url} controls preload="metadata" />;
}

export function Attachments({ attachments }: { attachments: Attachment[] }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  if (attachments.length === 0) return null;
  return (
    <ul className="attachments">
      {attachments.map((attachment) => (
        <li key={attachment.file_id} className="attachment" data-testid="message-attachment">
          <Media attachment={attachment} />
          <button
            type="button"
            className="attachment__chip"
            onClick={() => {
              setError(null);
              downloadFile(attachment.file_id, attachment.file_name).catch(() => setError(t('common.error')));
            }}
          >
            {/* Named by its content: what it does (read only), then the visible name and size. */}
            <span className="visually-hidden">{t('files.downloadAction')} </span>
            <Icon name={fileIcon(attachment.kind)} size={16} />
            <span className="attachment__name">{attachment.file_name}</span>
            {attachment.size > 0 && <span className="attachment__size">{formatBytes(attachment.size)}</span>}
            <Icon name="download" size={14} />
          </button>
        </li>
      ))}
      {error && (
        <li className="form-error" role="alert">
          {error}
        </li>
      )}
    </ul>
  );
}
