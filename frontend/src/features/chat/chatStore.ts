/**
 * Messages per conversation, and the turn being streamed into each.
 *
 * It lives outside React so a streamed answer keeps arriving while the user
 * moves between pages or conversations, and so a new conversation created by
 * the first message can be opened without interrupting that message's turn.
 */
import { useSyncExternalStore } from 'react';
import { listMessages, sendFeedback, stopTurn, streamEdit, streamMessage, streamRegenerate, type FeedbackReason } from '../../api/conversations';
import { ApiError } from '../../api/errors';
import { parsePartialJson } from '../../api/partialJson';
import type { Agent, AnswerStart, Attachment, FeedbackValue, Message, Page, PartialAnswer, TurnEvent, TurnResult } from '../../api/types';
import { clearDrafts } from './drafts';

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
  /** The participant pressed Stop; the stored answer is on its way. */
  stopping?: boolean;
}

export interface ConversationState {
  /** Chronological (oldest first), unlike the API's pages. */
  messages: Message[];
  olderCursor: string | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  loadingOlder: boolean;
  error: unknown;
  pending: PendingTurn | null;
  /**
   * A message the server never got (offline, or refused): it stays in the
   * transcript as "not sent", and goes again when the network returns.
   */
  failed: { content: string; attachments: Attachment[]; error: unknown } | null;
  /** The last message is a question whose answer is still being produced elsewhere (another tab, a reload, WhatsApp). */
  answering: boolean;
  /** A mentor has paused the AI here: messages are kept for them and get no AI answer. */
  withMentor: boolean;
}

export const EMPTY_CONVERSATION: ConversationState = {
  messages: [],
  olderCursor: null,
  status: 'idle',
  loadingOlder: false,
  error: null,
  pending: null,
  failed: null,
  answering: false,
  withMentor: false,
};

/** How long after a question with no answer yet it is still shown as being answered (the turn's own deadline is shorter). */
export const STILL_ANSWERING_MS = 2 * 60_000;
const POLL_MS = 2_000;

/**
 * Whether the last question still awaits the AI's answer: not while a mentor has the
 * conversation (said by the server, or seen in a mentor's message after the last AI answer).
 */
function awaitsAnswer(messages: Message[], withMentor = false, now = Date.now()): boolean {
  const last = messages[messages.length - 1];
  if (withMentor || last?.role !== 'user') return false;
  for (let i = messages.length - 1; i >= 0; i--) {
    const reply = messages[i];
    if (reply?.role === 'assistant') {
      if (reply.author_name) return false;
      break;
    }
  }
  return now - Date.parse(last.created_at) < STILL_ANSWERING_MS;
}

/** The request never reached the server (as opposed to an error the server answered with). */
function unreachable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 0 && error.code !== 'aborted';
}

export interface ChatApi {
  listMessages: (id: string, cursor?: string | null) => Promise<Page<Message>>;
  streamMessage: (
    id: string,
    body: { content: string; file_ids?: string[] },
    onEvent: (event: TurnEvent) => void,
  ) => Promise<TurnResult | null>;
  sendFeedback: (messageId: string, value: FeedbackValue, reason?: FeedbackReason) => Promise<Message>;
  stopTurn: (id: string) => Promise<void>;
  streamRegenerate: (id: string, messageId: string, onEvent: (event: TurnEvent) => void) => Promise<TurnResult | null>;
  streamEdit: (id: string, messageId: string, content: string, onEvent: (event: TurnEvent) => void) => Promise<TurnResult | null>;
}

type StreamRequest = (onEvent: (event: TurnEvent) => void) => Promise<TurnResult | null>;

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
  private polls = new Map<string, ReturnType<typeof setTimeout>>();
  private waitingForNetwork = false;

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
      const messages = [...page.items].reverse();
      this.set(id, (s) => ({
        ...s,
        messages,
        olderCursor: page.next_cursor ?? null,
        status: 'ready',
        answering: !s.pending && awaitsAnswer(messages, s.withMentor),
      }));
      if (this.get(id).answering) this.poll(id);
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
        const messages = [...older, ...[...page.items].reverse()];
        return { ...s, messages, answering: awaitsAnswer(messages, s.withMentor) };
      });
    } catch {
      // Live refreshes are best effort: the next change or a reload tries again.
    }
  }

  /** While `answering`, fetch the newest page every few seconds until the answer is there. */
  private poll(id: string) {
    if (this.polls.has(id)) return;
    const tick = async () => {
      try {
        const page = await this.api.listMessages(id);
        this.set(id, (s) => {
          const merged = [...s.messages, ...chronological(page.items, s.messages)];
          return { ...s, messages: merged, answering: !s.pending && awaitsAnswer(merged, s.withMentor) };
        });
      } catch {
        // offline for a moment: try again on the next tick
      }
      this.polls.delete(id);
      if (this.get(id).answering && this.states.has(id)) this.polls.set(id, setTimeout(() => void tick(), POLL_MS));
    };
    this.polls.set(id, setTimeout(() => void tick(), POLL_MS));
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
    const fileIds = attachments.map((a) => a.file_id);
    const body = { content, ...(fileIds.length ? { file_ids: fileIds } : {}) };
    await this.turn(id, content, attachments, (onEvent) => this.api.streamMessage(id, body, onEvent), true);
  }

  /**
   * Regenerate: a new answer to the last question. The current answer stays
   * as an alternative (marked `regenerated`) the row lets the reader page back to.
   */
  async regenerate(id: string, answerId: string): Promise<void> {
    const state = this.get(id);
    const answer = state.messages.find((m) => m.id === answerId);
    const question = state.messages.find((m) => m.id === answer?.reply_to_id);
    if (state.pending || !answer || !question) return;
    this.set(id, (s) => ({
      ...s,
      messages: s.messages
        .filter((m) => m.id !== question.id)
        .map((m) => (m.reply_to_id === question.id && m.role === 'assistant' && !m.replaced ? { ...m, replaced: 'regenerated' as const } : m)),
    }));
    await this.turn(id, question.content, question.attachments, (onEvent) => this.api.streamRegenerate(id, answerId, onEvent));
  }

  /** Edit & resend: the last question with new words, answered again; its old answers leave the view. */
  async edit(id: string, questionId: string, content: string): Promise<void> {
    const state = this.get(id);
    const question = state.messages.find((m) => m.id === questionId);
    if (state.pending || !question || !content.trim()) return;
    this.set(id, (s) => ({
      ...s,
      messages: s.messages.filter((m) => m.id !== questionId && m.reply_to_id !== questionId),
    }));
    await this.turn(id, content, question.attachments, (onEvent) => this.api.streamEdit(id, questionId, content, onEvent));
  }

  private async turn(id: string, content: string, attachments: Attachment[], request: StreamRequest, keepUnsent = false): Promise<void> {
    if (this.get(id).pending) return;
    this.set(id, (s) => ({
      ...s,
      status: s.status === 'idle' ? 'ready' : s.status,
      failed: null,
      pending: {
        content,
        fileIds: attachments.map((a) => a.file_id),
        attachments,
        startedAt: new Date().toISOString(),
        specialist: null,
        answer: null,
        partial: null,
        tool: null,
      },
    }));
    // Set from the event callback (a box, so the compiler does not narrow it to false).
    const progress = { started: false, withMentor: false };
    const onEvent = (event: TurnEvent) => {
      progress.started = true;
      if (event.type === 'error' && event.code === 'conversation_paused') progress.withMentor = true;
      this.apply(id, event);
    };
    let result: TurnResult | null = null;
    let error: unknown = null;
    try {
      result = await request(onEvent);
    } catch (cause) {
      error = cause;
    }
    if (result) {
      const { user_message, message } = result;
      this.set(id, (s) => ({
        ...s,
        pending: null,
        answering: false,
        messages: [...s.messages.filter((m) => m.id !== user_message.id && m.id !== message.id), user_message, message],
      }));
    } else if (keepUnsent && !progress.started && error) {
      // The server does not have the message: keep the words, as "not sent".
      this.set(id, (s) => ({ ...s, pending: null, failed: { content, attachments, error } }));
      if (unreachable(error)) this.retryWhenOnline();
    } else {
      // The stream broke after the server took the message (its turn goes on there), or a
      // regenerate / edit was refused: show what the server holds and follow it from there.
      this.set(id, (s) => ({ ...s, pending: null, withMentor: s.withMentor || progress.withMentor }));
      await this.open(id, true);
    }
    for (const listener of this.turnListeners) listener(id);
  }

  /**
   * Stop: the server cancels the model and stores what it wrote (marked
   * stopped), which arrives as the stream's `done` like any answer. A 409 means
   * the answer was already finished.
   */
  async stop(id: string): Promise<void> {
    if (!this.get(id).pending) return;
    this.set(id, (s) => (s.pending ? { ...s, pending: { ...s.pending, stopping: true } } : s));
    try {
      await this.api.stopTurn(id);
    } catch {
      // finished meanwhile, or unreachable: the stream settles the turn either way
    }
  }

  /** Sends a "not sent" message again (the Retry button, or the network coming back). */
  async resend(id: string): Promise<void> {
    const failed = this.get(id).failed;
    if (!failed || this.get(id).pending) return;
    await this.send(id, failed.content, failed.attachments);
  }

  private retryWhenOnline() {
    if (this.waitingForNetwork || typeof window === 'undefined') return;
    this.waitingForNetwork = true;
    window.addEventListener(
      'online',
      () => {
        this.waitingForNetwork = false;
        for (const [id, state] of this.states) if (state.failed && unreachable(state.failed.error)) void this.resend(id);
      },
      { once: true },
    );
  }

  /** A mentor paused the AI here (`true`) or gave the conversation back to it (live). */
  setWithMentor(id: string, withMentor: boolean) {
    if (this.get(id).withMentor === withMentor) return;
    this.set(id, (s) => ({ ...s, withMentor, answering: !s.pending && awaitsAnswer(s.messages, withMentor) }));
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

  /** 👍/👎 (again on the same one clears it), with an optional reason; the shown value changes at once. */
  async feedback(id: string, messageId: string, value: FeedbackValue, reason?: FeedbackReason): Promise<void> {
    const before = this.get(id).messages.find((m) => m.id === messageId)?.feedback ?? null;
    this.replace(id, messageId, (m) => ({ ...m, feedback: value === 0 ? null : value }));
    try {
      const updated = await this.api.sendFeedback(messageId, value, reason);
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
    clearTimeout(this.polls.get(id));
    this.polls.delete(id);
    this.states.delete(id);
    for (const listener of this.listeners) listener();
  }

  /** Sign-out: nothing of the previous user stays in memory. */
  reset() {
    for (const timer of this.polls.values()) clearTimeout(timer);
    this.polls.clear();
    this.states.clear();
    clearDrafts();
    for (const listener of this.listeners) listener();
  }
}

export const chatStore = new ChatStore({ listMessages, streamMessage, sendFeedback, stopTurn, streamRegenerate, streamEdit });

export function useConversation(id: string | undefined): ConversationState {
  return useSyncExternalStore(chatStore.subscribe, () => (id ? chatStore.get(id) : EMPTY_CONVERSATION));
}
