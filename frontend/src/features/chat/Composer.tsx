/**
 * Where the participant writes: text, plus files by button or drag and drop (their
 * checks and uploads are useUploads'; the list above the text is UploadList). The
 * message is sent with the stored files' ids.
 */
import { useEffect, useId, useRef, useState, type DragEvent, type SyntheticEvent, type KeyboardEvent } from 'react';
import type { Attachment } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useAllowedText } from '../../hooks/useFileCheckText';
import { useI18n } from '../../i18n';
import { acceptAttribute } from '../../lib/fileRules';
import { loadDraft, saveDraft } from './drafts';
import { UploadList } from './UploadList';
import { useUploads } from './useUploads';

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

export function Composer({ busy, onSend, draftKey, prefill, onStop }: ComposerProps) {
  const { t } = useI18n();
  const allowedText = useAllowedText();
  const { rules, uploads, rejections, addFiles, remove, clear, uploading, ready } = useUploads();
  const [text, setTextState] = useState(() => loadDraft(draftKey));
  const setText = (next: string) => {
    setTextState(next);
    saveDraft(draftKey, next);
  };
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

  const canSend = !busy && !uploading && (text.trim() !== '' || ready.length > 0);

  const submit = (event?: SyntheticEvent) => {
    event?.preventDefault();
    if (!canSend) return;
    const content = text.trim() || ready.map((a) => `📎 ${a.file_name}`).join('\n');
    onSend(content, ready);
    setText('');
    clear();
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
      <UploadList uploads={uploads} rejections={rejections} onRemove={remove} />
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
