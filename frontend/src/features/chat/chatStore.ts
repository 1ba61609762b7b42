/**
 * Messages per conversation, and the turn being streamed into each.
 *
 * It lives outside React so a streamed answer keeps arriving while the user
 * moves between pages or conversations, and so a new conversation created by
 * the first message can be opened without interrupting that message's turn.
 */
import { useSyncExternalStore } from 'react';
import { listMessages, sendFeedback, streamMessage } from '../../api/conversations';
import { parsePartialJson } from '../../api/partialJson';
import type { Agent, AnswerStart, Attachment, FeedbackValue, Message, Page, PartialAnswer, TurnEvent, TurnResult } from '../../api/types';

export interface PendingTurn {
  content: string;
  fileIds: string[];
  attachments: Attachment[];
  startedAt: string;
  specialist: Agent | null;
  /** The answer's JSON so far and the fields the server sets, from the stream. */
  answer: { start: AnswerStart; json: string } | null;
  /** The typed answer so far, parsed from `answer`. */
  partial: PartialAnswer | null;
  tool: string | null;
}

export interface ConversationState {
  /** Chronological (oldest first), unlike the API's pages. */
  messages: Message[];
  olderCursor: string | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  loadingOlder: boolean;
  error: unknown;
  pending: PendingTurn | null;
  /** A turn whose stream broke; the user can send it again. */
  failed: { content: string; attachments: Attachment[]; error: unknown } | null;
}

export const EMPTY_CONVERSATION: ConversationState = {
  messages: [],
  olderCursor: null,
  status: 'idle',
  loadingOlder: false,
  error: null,
  pending: null,
  failed: null,
};

export interface ChatApi {
  listMessages: (id: string, cursor?: string | null) => Promise<Page<Message>>;
  streamMessage: (
    id: string,
    body: { content: string; file_ids?: string[] },
    onEvent: (event: TurnEvent) => void,
  ) => Promise<TurnResult | null>;
  sendFeedback: (messageId: string, value: FeedbackValue) => Promise<Message>;
}

/** The typed answer so far: the JSON streamed since `answer`, with the fields the server sets. */
function partialAnswer(start: AnswerStart, json: string): PartialAnswer {
  const parsed = parsePartialJson(json);
  const fields = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  const { kind, offline, language } = start;
  return { ...fields, kind, offline, language } as PartialAnswer;
}

/** Newest-first page items, oldest first, without ids we already hold. */
function chronological(items: Message[], known: Message[]): Message[] {
  const seen = new Set(known.map((m) => m.id));
  return items.filter((m) => !seen.has(m.id)).reverse();
}

export class ChatStore {
  private states = new Map<string, ConversationState>();
  private listeners = new Set<() => void>();
  private turnListeners = new Set<(conversationId: string) => void>();

  constructor(private readonly api: ChatApi) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Called after each finished turn (the conversation list re-sorts and picks up titles). */
  onTurnFinished(listener: (conversationId: string) => void): () => void {
    this.turnListeners.add(listener);
    return () => this.turnListeners.delete(listener);
  }

  get(id: string): ConversationState {
    return this.states.get(id) ?? EMPTY_CONVERSATION;
  }

  private set(id: string, update: (state: ConversationState) => ConversationState) {
    this.states.set(id, update(this.get(id)));
    for (const listener of this.listeners) listener();
  }

  /** Loads the newest page the first time a conversation is shown. */
  async open(id: string, force = false): Promise<void> {
    const state = this.get(id);
    if (!force && (state.status === 'loading' || state.status === 'ready')) return;
    this.set(id, (s) => ({ ...s, status: 'loading', error: null }));
    try {
      const page = await this.api.listMessages(id);
      this.set(id, (s) => ({
        ...s,
        messages: [...page.items].reverse(),
        olderCursor: page.next_cursor ?? null,
        status: 'ready',
      }));
    } catch (error) {
      this.set(id, (s) => ({ ...s, status: 'error', error }));
    }
  }

  /**
   * Picks up what changed elsewhere (a WhatsApp message, an answer stored by another tab or
   * process, a delivery status): the newest page replaces the messages it holds, older pages
   * stay. Skipped while this tab streams a turn here (that turn's result brings its messages).
   */
  async refresh(id: string): Promise<void> {
    const state = this.get(id);
    if (state.status !== 'ready' || state.pending) return;
    try {
      const page = await this.api.listMessages(id);
      this.set(id, (s) => {
        if (s.pending) return s;
        const fresh = new Map(page.items.map((m) => [m.id, m]));
        const kept = s.messages.filter((m) => !fresh.has(m.id));
        const oldestFresh = page.items.at(-1)?.created_at ?? '';
        const older = kept.filter((m) => m.created_at < oldestFresh);
        return { ...s, messages: [...older, ...[...page.items].reverse()] };
      });
    } catch {
      // Live refreshes are best effort: the next change or a reload tries again.
    }
  }

  /** Infinite scroll back in time: the next page of older messages goes on top. */
  async loadOlder(id: string): Promise<void> {
    const state = this.get(id);
    if (state.loadingOlder || !state.olderCursor) return;
    this.set(id, (s) => ({ ...s, loadingOlder: true }));
    try {
      const page = await this.api.listMessages(id, state.olderCursor);
      this.set(id, (s) => ({
        ...s,
        messages: [...chronological(page.items, s.messages), ...s.messages],
        olderCursor: page.next_cursor ?? null,
        loadingOlder: false,
      }));
    } catch (error) {
      this.set(id, (s) => ({ ...s, loadingOlder: false, error }));
    }
  }

  /** Sends a message and streams the answer into `pending` until the stored message arrives. */
  async send(id: string, content: string, attachments: Attachment[] = []): Promise<void> {
    if (this.get(id).pending) return;
    const fileIds = attachments.map((a) => a.file_id);
    this.set(id, (s) => ({
      ...s,
      status: s.status === 'idle' ? 'ready' : s.status,
      failed: null,
      pending: {
        content,
        fileIds,
        attachments,
        startedAt: new Date().toISOString(),
        specialist: null,
        answer: null,
        partial: null,
        tool: null,
      },
    }));
    const onEvent = (event: TurnEvent) => this.apply(id, event);
    let result: TurnResult | null = null;
    let error: unknown = null;
    try {
      result = await this.api.streamMessage(id, { content, ...(fileIds.length ? { file_ids: fileIds } : {}) }, onEvent);
    } catch (cause) {
      error = cause;
    }
    if (result) {
      const { user_message, message } = result;
      this.set(id, (s) => ({
        ...s,
        pending: null,
        messages: [...s.messages.filter((m) => m.id !== user_message.id && m.id !== message.id), user_message, message],
      }));
    } else {
      // The stream broke: what the server stored is the truth, so reload it, and offer to send again.
      this.set(id, (s) => ({ ...s, pending: null, failed: { content, attachments, error } }));
      await this.open(id, true);
    }
    for (const listener of this.turnListeners) listener(id);
  }

  dismissFailure(id: string) {
    this.set(id, (s) => ({ ...s, failed: null }));
  }

  private apply(id: string, event: TurnEvent) {
    this.set(id, (s) => {
      const pending = s.pending;
      if (!pending) return s;
      switch (event.type) {
        case 'route': // a hand-back starts the answer over
          return { ...s, pending: { ...pending, specialist: event.specialist, answer: null, partial: null } };
        case 'answer':
          return { ...s, pending: { ...pending, answer: { start: event, json: '' }, partial: partialAnswer(event, ''), tool: null } };
        case 'json': {
          if (!pending.answer) return s;
          const answer = { ...pending.answer, json: pending.answer.json + event.text };
          return { ...s, pending: { ...pending, answer, partial: partialAnswer(answer.start, answer.json), tool: null } };
        }
        case 'tool':
          return { ...s, pending: { ...pending, tool: event.name } };
        case 'retry':
          return { ...s, pending: { ...pending, answer: null, partial: null, tool: null } };
        case 'done':
        case 'error':
          return s; // `send` settles the turn from the stream's outcome
        default: {
          const unhandled: never = event;
          return unhandled;
        }
      }
    });
  }

  /** 👍/👎 (again on the same one clears it); the shown value changes at once. */
  async feedback(id: string, messageId: string, value: FeedbackValue): Promise<void> {
    const before = this.get(id).messages.find((m) => m.id === messageId)?.feedback ?? null;
    this.replace(id, messageId, (m) => ({ ...m, feedback: value === 0 ? null : value }));
    try {
      const updated = await this.api.sendFeedback(messageId, value);
      this.replace(id, messageId, () => updated);
    } catch (error) {
      this.replace(id, messageId, (m) => ({ ...m, feedback: before }));
      throw error;
    }
  }

  private replace(id: string, messageId: string, update: (message: Message) => Message) {
    this.set(id, (s) => ({ ...s, messages: s.messages.map((m) => (m.id === messageId ? update(m) : m)) }));
  }

  forget(id: string) {
    this.states.delete(id);
    for (const listener of this.listeners) listener();
  }

  /** Sign-out: nothing of the previous user stays in memory. */
  reset() {
    this.states.clear();
    for (const listener of this.listeners) listener();
  }
}

export const chatStore = new ChatStore({ listMessages, streamMessage, sendFeedback });

export function useConversation(id: string | undefined): ConversationState {
  return useSyncExternalStore(chatStore.subscribe, () => (id ? chatStore.get(id) : EMPTY_CONVERSATION));
}
