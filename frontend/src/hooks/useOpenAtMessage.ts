/**
 * A search result opens a transcript at the message that matched: scrolled to the middle of the
 * screen and marked, once the transcript is on screen.
 */
import { useEffect } from 'react';

export function useOpenAtMessage(messageId: string | null, loaded: boolean) {
  useEffect(() => {
    if (!messageId || !loaded) return;
    const target = document.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(messageId)}"]`);
    if (!target) return;
    target.classList.add('is-search-match');
    target.scrollIntoView({ block: 'center' });
    return () => target.classList.remove('is-search-match');
  }, [messageId, loaded]);
}
