/** The list of conversations: new, open, rename in place, delete with confirmation. */
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import type { Conversation } from '../../api/types';
import { ConfirmDialog } from '../../components/Dialog';
import { Icon } from '../../components/Icon';
import { Alert, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import type { Paged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';
import { ConversationItem, conversationTitle } from './ConversationItem';
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
            <ConversationItem
              key={c.id}
              conversation={c}
              active={c.id === activeId}
              editing={editing === c.id}
              onOpen={onClose}
              onEdit={(on) => setEditing(on ? c.id : null)}
              onRename={async (title) => {
                await onRename(c.id, title);
                setEditing(null);
              }}
              onDelete={() => {
                setError(null);
                setToDelete(c);
              }}
            />
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
        body={t('chat.deleteBody', { title: toDelete ? conversationTitle(toDelete, t('chat.untitled')) : '' })}
        confirmLabel={t('common.delete')}
        busy={busy}
        error={error}
        onConfirm={() => void confirmDelete()}
        onClose={() => setToDelete(null)}
      />
    </>
  );
}
