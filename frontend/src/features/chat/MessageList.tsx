/**
 * The scrolling transcript. Scrolling to the top loads older pages (keeping
 * the reader's place); new messages and streamed text keep it pinned to the
 * bottom unless the reader has scrolled up.
 */
import { useEffect, useLayoutEffect, useRef, type ReactNode } from 'react';
import type { Message } from '../../api/types';
import { Spinner } from '../../components/ui';
import { useI18n } from '../../i18n';

interface MessageListProps {
  messages: Message[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  renderMessage: (message: Message, index: number) => ReactNode;
  /** Rendered after the messages (the answer being streamed). */
  tail?: ReactNode;
  /** Changes whenever the tail grows, to keep following it. */
  tailVersion?: string;
}

const NEAR_BOTTOM_PX = 120;

export function MessageList({ messages, hasOlder, loadingOlder, onLoadOlder, renderMessage, tail, tailVersion }: MessageListProps) {
  const { t } = useI18n();
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const previous = useRef<{ firstId: string | undefined; height: number }>({ firstId: undefined, height: 0 });
  const loadOlder = useRef(onLoadOlder);

  useEffect(() => {
    loadOlder.current = onLoadOlder;
  });

  // Older messages were added on top: keep the same message under the reader's eyes.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const firstId = messages[0]?.id;
    const before = previous.current;
    if (before.firstId && firstId !== before.firstId && !pinned.current) {
      el.scrollTop += el.scrollHeight - before.height;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
    previous.current = { firstId, height: el.scrollHeight };
  }, [messages, tailVersion]);

  useEffect(() => {
    const el = sentinel.current;
    const root = scroller.current;
    if (!el || !root || !hasOlder || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) loadOlder.current();
      },
      { root, rootMargin: '200px 0px 0px 0px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasOlder]);

  return (
    <div
      className="messages"
      ref={scroller}
      onScroll={(event) => {
        const el = event.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
        previous.current.height = el.scrollHeight;
      }}
      data-testid="message-list"
      tabIndex={0}
      aria-label={t('chat.messages')}
    >
      <div className="messages__inner">
        <div ref={sentinel} className="messages__top">
          {hasOlder ? (
            loadingOlder ? (
              <Spinner size="sm" label={t('chat.loadingOlder')} />
            ) : (
              <button type="button" className="btn btn--ghost btn--sm" onClick={onLoadOlder}>
                {t('chat.loadOlder')}
              </button>
            )
          ) : (
            messages.length > 0 && <p className="messages__start">{t('chat.beginning')}</p>
          )}
        </div>
        <ol className="messages__list">
          {messages.map(renderMessage)}
          {tail}
        </ol>
      </div>
    </div>
  );
}
