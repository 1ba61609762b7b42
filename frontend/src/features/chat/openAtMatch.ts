/**
 * A search result links to `/c/:id?message=…`: older pages load until that message is in the
 * transcript (a match can be far back in a long conversation), then it is scrolled to and marked.
 */
import { useEffect } from 'react';
import { useSearchParams } from 'react-router';
import { useOpenAtMessage } from '../../hooks/useOpenAtMessage';
import { chatStore, type ConversationState } from './chatStore';

/** Pages of older messages to walk back at most; a match further back opens at the newest. */
const MAX_PAGES = 20;

export function useOpenAtMatch(conversationId: string | undefined, state: ConversationState) {
  const [params] = useSearchParams();
  const messageId = params.get('message');
  const found = messageId !== null && state.messages.some((m) => m.id === messageId);
  const pagesLoaded = Math.ceil(state.messages.length / 50);

  useEffect(() => {
    if (!conversationId || !messageId || found || state.status !== 'ready') return;
    if (state.loadingOlder || !state.olderCursor || pagesLoaded >= MAX_PAGES) return;
    void chatStore.loadOlder(conversationId);
  }, [conversationId, messageId, found, state.status, state.loadingOlder, state.olderCursor, pagesLoaded]);

  useOpenAtMessage(found ? messageId : null, found);
}
