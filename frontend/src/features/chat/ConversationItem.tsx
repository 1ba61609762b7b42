/** One conversation in the sidebar: its link (title, channel, last change), rename in place and delete. */
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { NavLink } from 'react-router';
import type { Conversation } from '../../api/types';
import { isReadOnly, useChannelLabel, useChannels } from '../../components/channels';
import { Icon } from '../../components/Icon';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';

interface ItemProps {
  conversation: Conversation;
  active: boolean;
  editing: boolean;
  onOpen: () => void;
  onEdit: (editing: boolean) => void;
  onRename: (title: string) => Promise<void>;
  onDelete: () => void;
}

export function ConversationItem({ conversation: c, active, editing, onOpen, onEdit, onRename, onDelete }: ItemProps) {
  const { t } = useI18n();
  const channels = useChannels();
  const channelLabel = useChannelLabel();
  const title = conversationTitle(c, t('chat.untitled'));
  // When the rename form closes (saved or given up) its field goes, and focus with it: it comes
  // back to the pencil, unless it already went somewhere else (another conversation's field).
  const renameRef = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(editing);
  useEffect(() => {
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (wasEditing.current && !editing && lost) renameRef.current?.focus();
    wasEditing.current = editing;
  }, [editing]);
  return (
    <li className={active ? 'conv is-active' : 'conv'} data-testid="conversation-item">
      {editing ? (
        <RenameForm initial={c.title ?? ''} onCancel={() => onEdit(false)} onSave={onRename} />
      ) : (
        <>
          <NavLink to={`/c/${c.id}`} className="conv__link" onClick={onOpen} aria-current={active ? 'page' : undefined}>
            <span className="conv__title">{title}</span>
            <span className="conv__meta">
              {isReadOnly(channels, c.channel) && (
                <span className="conv__channel" title={channelLabel(c.channel, channels)}>
                  <Icon name="phone" size={12} />
                  {channelLabel(c.channel, channels)}
                </span>
              )}
              <RelativeDate iso={c.updated_at} />
            </span>
          </NavLink>
          <div className="conv__actions">
            <button
              ref={renameRef}
              type="button"
              className="icon-btn icon-btn--sm"
              onClick={() => onEdit(true)}
              aria-label={t('chat.renameConversation', { title })}
              title={t('chat.rename')}
            >
              <Icon name="pencil" size={15} />
            </button>
            <button
              type="button"
              className="icon-btn icon-btn--sm icon-btn--danger"
              onClick={onDelete}
              aria-label={t('chat.deleteConversation', { title })}
              title={t('common.delete')}
            >
              <Icon name="trash" size={15} />
            </button>
          </div>
        </>
      )}
    </li>
  );
}

/** What the sidebar and the delete confirmation call a conversation. */
export function conversationTitle(c: Conversation, untitled: string): string {
  return c.title?.trim() || untitled;
}

function RenameForm({ initial, onSave, onCancel }: { initial: string; onSave: (title: string) => Promise<void>; onCancel: () => void }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [title, setTitle] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const trimmed = title.trim();
    if (!trimmed) return;
    setBusy(true);
    try {
      await onSave(trimmed);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <form className="conv__rename" onSubmit={submit}>
      <input
        aria-label={t('chat.renameLabel')}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onCancel();
          }
        }}
        maxLength={200}
        autoFocus
        disabled={busy}
      />
      <button type="submit" className="icon-btn icon-btn--sm" aria-label={t('common.save')} disabled={busy}>
        <Icon name="check" size={15} />
      </button>
      <button type="button" className="icon-btn icon-btn--sm" aria-label={t('common.cancel')} onClick={onCancel}>
        <Icon name="x" size={15} />
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function RelativeDate({ iso }: { iso: string }) {
  const { formatDate } = useI18n();
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return <time dateTime={iso}>{formatDate(iso, sameDay ? 'time' : 'date')}</time>;
}
