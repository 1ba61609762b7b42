/** The list of conversations: new, open, rename in place, delete with confirmation. */
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { NavLink, useNavigate } from 'react-router';
import type { Conversation } from '../../api/types';
import { ConfirmDialog } from '../../components/Dialog';
import { Icon } from '../../components/Icon';
import { Alert, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import type { Paged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';
import { isReadOnly, useChannelLabel, useChannels } from '../../components/channels';
import { MIN_QUERY, SearchBox, SearchResults } from './ConversationSearch';

interface SidebarProps {
  conversations: Paged<Conversation>;
  activeId: string | undefined;
  open: boolean;
  onClose: () => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
}

export function ConversationSidebar({ conversations, activeId, open, onClose, onRename, onDelete }: SidebarProps) {
  const { t } = useI18n();
  const channels = useChannels();
  const channelLabel = useChannelLabel();
  const navigate = useNavigate();
  const errorText = useErrorText();
  const [editing, setEditing] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<Conversation | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const searching = query.trim().length >= MIN_QUERY;
  const closeRef = useRef<HTMLButtonElement>(null);

  // As a drawer (phone): focus moves into it on open and back to what opened it on close.
  useEffect(() => {
    if (!open) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closeRef.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);

  const titleOf = (c: Conversation) => c.title?.trim() || t('chat.untitled');

  const confirmDelete = async () => {
    if (!toDelete) return;
    setBusy(true);
    setError(null);
    try {
      await onDelete(toDelete.id);
      setToDelete(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="sidebar-backdrop" onClick={onClose} aria-hidden="true" />
      <aside id="conversation-sidebar" className="sidebar" aria-label={t('chat.conversations')}>
        <div className="sidebar__header">
          <h2 className="sidebar__title">{t('chat.conversations')}</h2>
          <button ref={closeRef} type="button" className="icon-btn sidebar__close" onClick={onClose} aria-label={t('chat.hideConversations')}>
            <Icon name="x" />
          </button>
        </div>
        <button
          type="button"
          className="btn btn--primary btn--block"
          onClick={() => {
            onClose();
            void navigate('/');
          }}
          data-testid="new-conversation"
        >
          <Icon name="plus" />
          {t('chat.new')}
        </button>

        <SearchBox value={query} onChange={setQuery} />
        {searching && <SearchResults query={query} activeId={activeId} onOpen={onClose} />}

        {!searching && conversations.error != null && (
          <Alert onRetry={conversations.reload} retryLabel={t('common.retry')}>
            {errorText(conversations.error)}
          </Alert>
        )}

        <ul className="conv-list" data-testid="conversation-list" hidden={searching}>
          {conversations.items.map((c) => (
            <li key={c.id} className={c.id === activeId ? 'conv is-active' : 'conv'} data-testid="conversation-item">
              {editing === c.id ? (
                <RenameForm
                  initial={c.title ?? ''}
                  onCancel={() => setEditing(null)}
                  onSave={async (title) => {
                    await onRename(c.id, title);
                    setEditing(null);
                  }}
                />
              ) : (
                <>
                  <NavLink to={`/c/${c.id}`} className="conv__link" onClick={onClose} aria-current={c.id === activeId ? 'page' : undefined}>
                    <span className="conv__title">{titleOf(c)}</span>
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
                      type="button"
                      className="icon-btn icon-btn--sm"
                      onClick={() => setEditing(c.id)}
                      aria-label={t('chat.renameConversation', { title: titleOf(c) })}
                      title={t('chat.rename')}
                    >
                      <Icon name="pencil" size={15} />
                    </button>
                    <button
                      type="button"
                      className="icon-btn icon-btn--sm icon-btn--danger"
                      onClick={() => {
                        setError(null);
                        setToDelete(c);
                      }}
                      aria-label={t('chat.deleteConversation', { title: titleOf(c) })}
                      title={t('common.delete')}
                    >
                      <Icon name="trash" size={15} />
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
        {!searching && conversations.loading && conversations.items.length === 0 && <Spinner size="sm" label={t('app.loading')} />}
        {!searching && !conversations.loading && conversations.items.length === 0 && conversations.error == null && (
          <p className="sidebar__empty">{t('chat.noConversations')}</p>
        )}
        {!searching && conversations.hasMore && !conversations.loading && (
          <button type="button" className="btn btn--ghost btn--sm" onClick={conversations.loadMore}>
            {t('common.loadMore')}
          </button>
        )}
      </aside>

      <ConfirmDialog
        open={toDelete !== null}
        title={t('chat.deleteTitle')}
        body={t('chat.deleteBody', { title: toDelete ? titleOf(toDelete) : '' })}
        confirmLabel={t('common.delete')}
        busy={busy}
        error={error}
        onConfirm={() => void confirmDelete()}
        onClose={() => setToDelete(null)}
      />
    </>
  );
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
