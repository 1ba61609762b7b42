/**
 * Edit & resend on the participant's last message: the words in a text box,
 * sent again with Enter (or the button), Esc to cancel. Sent, the old answer
 * leaves the view and a new one streams in its place.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';

interface EditQuestionProps {
  initial: string;
  onSend: (content: string) => void;
  onCancel: () => void;
}

export function EditQuestion({ initial, onSend, onCancel }: EditQuestionProps) {
  const { t } = useI18n();
  const [text, setText] = useState(initial);
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    box.current?.focus();
    box.current?.setSelectionRange(initial.length, initial.length);
  }, [initial]);
  const ready = text.trim().length > 0 && text.trim() !== initial.trim();
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    } else if (event.key === 'Enter' && !event.shiftKey && ready) {
      event.preventDefault();
      onSend(text.trim());
    }
  };
  return (
    <form
      className="msg__edit"
      data-testid="edit-question"
      onSubmit={(event) => {
        event.preventDefault();
        if (ready) onSend(text.trim());
      }}
    >
      <textarea ref={box} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} aria-label={t('chat.editQuestion')} />
      <div className="msg__edit-actions">
        <button type="button" className="btn btn--ghost btn--sm" onClick={onCancel}>
          {t('chat.editCancel')}
        </button>
        <button type="submit" className="btn btn--primary btn--sm" disabled={!ready} data-testid="edit-send">
          <Icon name="send" size={14} />
          {t('chat.editSend')}
        </button>
      </div>
    </form>
  );
}
