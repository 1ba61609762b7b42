import { api, expectOk, unwrap, unwrapAs } from './client';
import { errorFromResponse, networkError } from './errors';
import { session } from './session';
import { readSse } from './sse';
import type { Conversation, ConversationHit, FeedbackTag, FeedbackValue, Message, Page, TurnEvent, TurnEventName, TurnResult } from './types';

export const listConversations = (cursor?: string | null): Promise<Page<Conversation>> =>
  unwrap(api.GET('/conversations', { params: { query: { cursor: cursor ?? undefined } } }));

/** The participant's own conversations (both channels) that mention `q`, with where they matched. */
export const searchConversations = (q: string, signal?: AbortSignal): Promise<ConversationHit[]> =>
  unwrap(api.GET('/conversations/search', { params: { query: { q } }, signal })).then((page) => page.items);

export const createConversation = (title?: string): Promise<Conversation> =>
  unwrap(api.POST('/conversations', { body: title ? { title } : {} }));

export const renameConversation = (id: string, title: string): Promise<Conversation> =>
  unwrap(api.PATCH('/conversations/{conversation_id}', { params: { path: { conversation_id: id } }, body: { title } }));

export const deleteConversation = (id: string): Promise<void> =>
  expectOk(api.DELETE('/conversations/{conversation_id}', { params: { path: { conversation_id: id } } }));

/** One page of messages, newest first (the API's order). */
export const listMessages = (id: string, cursor?: string | null): Promise<Page<Message>> =>
  unwrapAs(
    api.GET('/conversations/{conversation_id}/messages', {
      params: { path: { conversation_id: id }, query: { cursor: cursor ?? undefined } },
    }),
  );

/** Stops the answer being written; its stream still ends with `done` (error code `stopped`). */
export const stopTurn = (id: string): Promise<void> =>
  expectOk(api.POST('/conversations/{conversation_id}/stop', { params: { path: { conversation_id: id } } }));

/** Why an answer was not helpful: a few tags and free text, both optional. */
export interface FeedbackReason {
  tags: FeedbackTag[];
  comment?: string;
}

export const sendFeedback = (messageId: string, value: FeedbackValue, reason?: FeedbackReason): Promise<Message> =>
  unwrapAs(
    api.POST('/messages/{message_id}/feedback', {
      params: { path: { message_id: messageId } },
      body: { value, tags: reason?.tags ?? [], comment: reason?.comment || null },
    }),
  );

/** Every event the schema names: a new one fails the typecheck until it is listed here. */
const TURN_EVENTS: Record<TurnEventName, true> = { route: true, answer: true, json: true, tool: true, retry: true, done: true, error: true };

/** Parses one SSE message into a turn event; unknown or malformed events are skipped. */
export function toTurnEvent(event: string, data: string): TurnEvent | null {
  if (!Object.hasOwn(TURN_EVENTS, event)) return null;
  try {
    const payload = JSON.parse(data) as unknown;
    if (typeof payload === 'string') return { type: event, text: payload } as TurnEvent;
    if (!payload || typeof payload !== 'object') return null;
    return { ...payload, type: event } as TurnEvent;
  } catch {
    return null;
  }
}

/**
 * Sends a message and streams the turn. Resolves with the stored pair when the
 * stream ends with `done`; resolves `null` when it ended without one (the
 * caller reloads and offers a retry). Also accepts a plain JSON answer, for a
 * server that does not stream.
 */
export function streamMessage(
  conversationId: string,
  body: { content: string; file_ids?: string[] },
  onEvent: (event: TurnEvent) => void,
  signal?: AbortSignal,
): Promise<TurnResult | null> {
  return streamTurn(`/conversations/${encodeURIComponent(conversationId)}/messages`, body, onEvent, signal);
}

/** A new answer to the conversation's last question; `messageId` (its last answer) stays as an alternative. */
export function streamRegenerate(
  conversationId: string,
  messageId: string,
  onEvent: (event: TurnEvent) => void,
): Promise<TurnResult | null> {
  const path = `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/regenerate`;
  return streamTurn(path, {}, onEvent);
}

/** The participant's last message (`messageId`) with new words, answered again. */
export function streamEdit(
  conversationId: string,
  messageId: string,
  content: string,
  onEvent: (event: TurnEvent) => void,
): Promise<TurnResult | null> {
  const path = `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/edit`;
  return streamTurn(path, { content }, onEvent);
}

async function streamTurn(
  path: string,
  body: object,
  onEvent: (event: TurnEvent) => void,
  signal?: AbortSignal,
): Promise<TurnResult | null> {
  const request = new Request(`${session.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  let response: Response;
  try {
    response = await session.fetch(request);
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) throw await errorFromResponse(response);

  const type = response.headers.get('Content-Type') ?? '';
  if (!type.includes('text/event-stream') || !response.body) {
    const result = (await response.json()) as TurnResult;
    onEvent({ type: 'done', ...result });
    return result;
  }

  // Set from the event callback (a box, so the compiler does not narrow it to null).
  const outcome: { result: TurnResult | null } = { result: null };
  try {
    await readSse(response.body, ({ event, data }) => {
      const turnEvent = toTurnEvent(event, data);
      if (!turnEvent) return;
      if (turnEvent.type === 'done') outcome.result = { user_message: turnEvent.user_message, message: turnEvent.message };
      onEvent(turnEvent);
    });
  } catch (cause) {
    if (!outcome.result) throw networkError(cause);
  }
  return outcome.result;
}
