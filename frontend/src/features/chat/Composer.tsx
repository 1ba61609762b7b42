/**
 * Where the participant writes: text, plus files by button or drag and drop.
 * Files are checked against the server's rules, then uploaded at once with a
 * progress bar; the message is sent with their ids.
 */
import { useEffect, useId, useRef, useState, type DragEvent, type SyntheticEvent, type KeyboardEvent } from 'react';
import { uploadFile } from '../../api/files';
import type { Attachment, UserFile } from '../../api/types';
import { Icon } from '../../components/Icon';
import { formatBytes } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { fileIcon } from '../../lib/fileIcon';
import { ProgressBar } from '../../components/ProgressBar';
import { acceptAttribute, checkFile } from '../../lib/fileRules';
import { useAllowedText, useFileCheckText } from '../../hooks/useFileCheckText';
import { loadDraft, saveDraft } from './drafts';
import { useFileRules } from '../../hooks/useFileRules';

interface Upload {
  key: string;
  file: File;
  progress: number;
  stored: UserFile | null;
  error: string | null;
  controller: AbortController;
}

interface ComposerProps {
  /** A turn is being answered: typing is allowed, sending waits. */
  busy: boolean;
  onSend: (content: string, attachments: Attachment[]) => void;
  /** Where the unsent text is kept (`drafts.ts`): the conversation's id, or `new`. */
  draftKey: string;
  /** Text put in the composer from outside (a follow-up to answer, words to send again). */
  prefill?: { text: string; version: number } | null;
  /** While answering: stops the answer instead of sending. */
  onStop?: () => void;
}

export function toAttachment(file: UserFile): Attachment {
  return { file_id: file.id, file_name: file.file_name, content_type: file.file_type, size: file.file_size, kind: file.kind };
}

let uploadCounter = 0;

export function Composer({ busy, onSend, draftKey, prefill, onStop }: ComposerProps) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const checkText = useFileCheckText();
  const allowedText = useAllowedText();
  const rules = useFileRules();
  const [text, setTextState] = useState(() => loadDraft(draftKey));
  const setText = (next: string) => {
    setTextState(next);
    saveDraft(draftKey, next);
  };
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [rejections, setRejections] = useState<string[]>([]);
  const [dragging, setDragging] = useState(false);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const fileInputRef = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    const area = textareaRef.current;
    if (!area) return;
    area.style.height = 'auto';
    area.style.height = `${Math.min(area.scrollHeight, 220)}px`;
  }, [text]);

  useEffect(() => {
    textareaRef.current?.focus();
  }, []);

  // A new prefill (a tapped follow-up) replaces the text during render, as React advises for
  // state derived from a prop; the effect below only saves and focuses.
  const [seenPrefill, setSeenPrefill] = useState(prefill);
  if (prefill !== seenPrefill) {
    setSeenPrefill(prefill);
    if (prefill) setTextState(prefill.text);
  }

  useEffect(() => {
    if (!prefill) return;
    saveDraft(draftKey, prefill.text);
    const area = textareaRef.current;
    if (!area) return;
    area.focus();
    requestAnimationFrame(() => area.setSelectionRange(prefill.text.length, prefill.text.length));
  }, [prefill, draftKey]);

  const update = (key: string, patch: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  const addFiles = (files: FileList | File[]) => {
    const problems: string[] = [];
    for (const file of Array.from(files)) {
      // Until the rules arrive (or if they cannot be fetched), the server's own check answers.
      const check = rules ? checkFile(file, rules) : null;
      if (rules && check && !check.ok) {
        problems.push(checkText(file, check, rules));
        continue;
      }
      const key = `upload-${++uploadCounter}`;
      const controller = new AbortController();
      setUploads((list) => [...list, { key, file, progress: 0, stored: null, error: null, controller }]);
      uploadFile(file, { onProgress: (progress) => update(key, { progress }), signal: controller.signal }).then(
        (stored) => update(key, { stored, progress: 1 }),
        (error: unknown) => {
          if (!controller.signal.aborted) update(key, { error: t('chat.uploadFailed', { name: file.name, reason: errorText(error) }) });
        },
      );
    }
    setRejections(problems);
  };

  const remove = (upload: Upload) => {
    upload.controller.abort();
    setUploads((list) => list.filter((u) => u.key !== upload.key));
  };

  const uploading = uploads.some((u) => !u.stored && !u.error);
  const ready = uploads.flatMap((u) => (u.stored ? [toAttachment(u.stored)] : []));
  const canSend = !busy && !uploading && (text.trim() !== '' || ready.length > 0);

  const submit = (event?: SyntheticEvent) => {
    event?.preventDefault();
    if (!canSend) return;
    const content = text.trim() || ready.map((a) => `📎 ${a.file_name}`).join('\n');
    onSend(content, ready);
    setText('');
    setUploads([]);
    setRejections([]);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const onDrag = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    setDragging(event.type !== 'dragleave');
  };

  const onDrop = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    setDragging(false);
    addFiles(event.dataTransfer.files);
  };

  return (
    <form
      className={dragging ? 'composer is-dragging' : 'composer'}
      onSubmit={submit}
      onDragEnter={onDrag}
      onDragOver={onDrag}
      onDragLeave={onDrag}
      onDrop={onDrop}
      data-testid="composer"
    >
      {dragging && (
        <div className="composer__drop" aria-hidden="true">
          <Icon name="upload" size={22} />
          {t('chat.dropHere')}
        </div>
      )}
      {(uploads.length > 0 || rejections.length > 0) && (
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
                    <ProgressBar
                      value={upload.progress}
                      label={t('chat.uploading', { name: upload.file.name, percent: Math.round(upload.progress * 100) })}
                    />
                  )}
                </div>
                <button
                  type="button"
                  className="icon-btn icon-btn--sm"
                  onClick={() => remove(upload)}
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
      )}
      <div className="composer__row">
        <input
          ref={fileInputRef}
          id={`${id}-file`}
          type="file"
          multiple
          className="visually-hidden"
          accept={rules ? acceptAttribute(rules) : undefined}
          onChange={(e) => {
            if (e.target.files) addFiles(e.target.files);
            e.target.value = '';
          }}
          data-testid="composer-file-input"
          aria-label={t('chat.attach')}
          tabIndex={-1}
        />
        <button
          type="button"
          className="icon-btn composer__attach"
          onClick={() => fileInputRef.current?.click()}
          aria-label={t('chat.attach')}
          title={rules ? allowedText(rules) : t('chat.attach')}
        >
          <Icon name="paperclip" size={20} />
        </button>
        <label htmlFor={`${id}-text`} className="visually-hidden">
          {t('chat.composerLabel')}
        </label>
        <textarea
          ref={textareaRef}
          id={`${id}-text`}
          className="composer__input"
          rows={1}
          value={text}
          placeholder={t('chat.composerPlaceholder')}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby={`${id}-hint`}
          data-testid="message-input"
        />
        <span id={`${id}-hint`} className="visually-hidden">
          {t('chat.composerHint')}
        </span>
        {busy && onStop ? (
          <button type="button" className="btn btn--secondary composer__send" onClick={onStop} data-testid="stop-button">
            <Icon name="stop" size={18} />
            <span className="composer__send-label">{t('chat.stop')}</span>
          </button>
        ) : (
          <button
            type="submit"
            className="btn btn--primary composer__send"
            disabled={!canSend}
            aria-label={busy ? t('chat.sending') : t('chat.send')}
            data-testid="send-button"
          >
            <Icon name="send" size={18} />
            <span className="composer__send-label">{t('chat.send')}</span>
          </button>
        )}
      </div>
    </form>
  );
}
