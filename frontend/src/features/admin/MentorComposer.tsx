/** Write to the participant as yourself: shown to them as "Mentor · your name", on the conversation's channel. Writing pauses the AI. */
import { useId, useState, type SyntheticEvent } from 'react';
import { Icon } from '../../components/Icon';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useUser } from '../../lib/auth';
import { useTakeover } from './staffQueries';

export function MentorComposer({ conversationId, participant }: { conversationId: string; participant: string }) {
  const { t } = useI18n();
  const me = useUser();
  const id = useId();
  const errorText = useErrorText();
  const [text, setText] = useState('');
  const { send } = useTakeover(conversationId);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const content = text.trim();
    if (!content) return;
    send.mutate(content, { onSuccess: () => setText('') });
  };
  return (
    <form className="mentor-composer" onSubmit={submit} data-testid="mentor-composer">
      <label htmlFor={id} className="mentor-composer__label">
        {t('staff.writeTo', { name: participant })}
      </label>
      <textarea
        id={id}
        rows={3}
        maxLength={4000}
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder={t('staff.writePlaceholder')}
        data-testid="mentor-input"
      />
      <div className="mentor-composer__row">
        <span className="muted">{t('staff.shownAs', { name: t('chat.mentorAuthor', { name: me.name || me.phone_number }) })}</span>
        {send.error != null && (
          <span className="form-error" role="alert">
            {errorText(send.error)}
          </span>
        )}
        <button type="submit" className="btn btn--primary" disabled={send.isPending || !text.trim()} data-testid="mentor-send">
          <Icon name="send" size={16} />
          {t('staff.send')}
        </button>
      </div>
    </form>
  );
}
