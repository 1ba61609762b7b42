/**
 * The chat area: a conversation list beside the open conversation. On a phone
 * the list is a drawer opened from the conversation header.
 */
import { useEffect, useState } from 'react';
import { Outlet, useNavigate, useOutletContext, useParams } from 'react-router';
import { deleteConversation, listConversations, renameConversation } from '../../api/conversations';
import type { Conversation } from '../../api/types';
import { useLiveSignal } from '../../hooks/useLive';
import { useUser } from '../../lib/auth';
import { usePaged, type Paged } from '../../hooks/usePaged';
import { chatStore } from './chatStore';
import { ConversationSidebar } from './ConversationSidebar';

export interface ChatOutletContext {
  conversations: Paged<Conversation>;
  openSidebar: () => void;
  /** A conversation created from the composer joins the list at once. */
  addConversation: (conversation: Conversation) => void;
}

export function useChatContext(): ChatOutletContext {
  return useOutletContext<ChatOutletContext>();
}

export function ChatLayout() {
  const { conversationId } = useParams();
  const navigate = useNavigate();
  const conversations = usePaged(listConversations, 'conversations');
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const { reload } = conversations;

  // After each turn: titles may have been set by the server, and the order changes.
  useEffect(() => chatStore.onTurnFinished(() => reload()), [reload]);
  // Changes made elsewhere (WhatsApp, another tab): the list, and the conversation they touch.
  // An admin's stream carries everyone's changes: only their own touch this list.
  const me = useUser();
  useLiveSignal((signal) => {
    if (signal.type === 'change' && signal.change.user_id !== me.id) return;
    if (signal.type === 'reload' || signal.change.kind !== 'message.updated') reload();
    const id = signal.type === 'change' ? signal.change.conversation_id : conversationId;
    if (!id) return;
    // A mentor took the conversation (the AI waits) or gave it back.
    const paused = signal.type === 'change' ? signal.change.data.paused : undefined;
    if (typeof paused === 'boolean') chatStore.setWithMentor(id, paused);
    void chatStore.refresh(id);
  });

  const addConversation = (conversation: Conversation) =>
    conversations.setItems((items) => [conversation, ...items.filter((c) => c.id !== conversation.id)]);

  const rename = async (id: string, title: string) => {
    const updated = await renameConversation(id, title);
    conversations.setItems((items) => items.map((c) => (c.id === id ? updated : c)));
  };

  const remove = async (id: string) => {
    await deleteConversation(id);
    conversations.setItems((items) => items.filter((c) => c.id !== id));
    chatStore.forget(id);
    if (id === conversationId) void navigate('/', { replace: true });
  };

  const context: ChatOutletContext = { conversations, openSidebar: () => setSidebarOpen(true), addConversation };

  return (
    <div className={sidebarOpen ? 'chat is-sidebar-open' : 'chat'}>
      <ConversationSidebar
        conversations={conversations}
        activeId={conversationId}
        open={sidebarOpen}
        onClose={() => setSidebarOpen(false)}
        onRename={rename}
        onDelete={remove}
      />
      <Outlet context={context} />
    </div>
  );
}
