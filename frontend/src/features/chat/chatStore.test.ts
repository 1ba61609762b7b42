import { afterEach, describe, expect, it, vi } from 'vitest';
import { streamMessage } from '../../api/conversations';
import { ApiError } from '../../api/errors';
import type { Message, TurnEvent, TurnResult } from '../../api/types';
import { ChatStore, type ChatApi } from './chatStore';
import { transcriptView } from './transcriptView';

function message(id: string, role: 'user' | 'assistant', extra: Partial<Message> = {}): Message {
  return {
    id,
    conversation_id: 'c1',
    role,
    content: `content ${id}`,
    message_type: 'text',
    channel: 'web',
    agent: role === 'assistant' ? 'marketing' : null,
    answer: null,
    status: 'sent',
    error_code: null,
    is_fallback: false,
    feedback: null,
    created_at: '2025-01-01T10:00:00Z',
    attachments: [],
    edited: false,
    ...extra,
  };
}

function sseResponse(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('streamMessage', () => {
  it('posts with Accept: text/event-stream and turns the SSE events into typed turn events', async () => {
    const done = { user_message: message('u1', 'user'), message: message('a1', 'assistant') };
    const fetch = vi.fn((request: Request) => {
      expect(request.headers.get('Accept')).toBe('text/event-stream');
      return Promise.resolve(
        sseResponse([
          'event: route\ndata: {"specialist":"financial","reason":"r","lang',
          'uage":"es"}\n\nevent: answer\ndata: {"kind":"general","offline":false,"language":"es"}\n\nevent: js',
          'on\ndata: "{\\"message\\": \\"Ho"\n\nevent: json\ndata: "la"\n\nevent: retry\ndata: {"attempt":2}\n\n',
          'event: delta\ndata: {"text":"not an event of this stream"}\n\nevent: tool\ndata: {"name":"search_files"}\n\n',
          `event: done\ndata: ${JSON.stringify(done)}\n\n`,
        ]),
      );
    });
    vi.stubGlobal('fetch', fetch);
    const events: TurnEvent[] = [];

    const result = await streamMessage('c1', { content: 'hola' }, (e) => events.push(e));

    expect(events.map((e) => e.type)).toEqual(['route', 'answer', 'json', 'json', 'retry', 'tool', 'done']);
    expect(events[2]).toEqual({ type: 'json', text: '{"message": "Ho' });
    expect(events[0]).toMatchObject({ specialist: 'financial', language: 'es' });
    expect(result?.message.id).toBe('a1');
    const sent = fetch.mock.calls[0]?.[0];
    expect(await sent?.text()).toBe('{"content":"hola"}');
  });

  it('resolves null when the stream ends without a done event', async () => {
    vi.stubGlobal('fetch', () => Promise.resolve(sseResponse(['event: json\ndata: "{}"\n\n'])));
    expect(await streamMessage('c1', { content: 'x' }, () => undefined)).toBeNull();
  });
});

describe('ChatStore', () => {
  function fakeApi(overrides: Partial<ChatApi> = {}): ChatApi {
    return {
      listMessages: vi.fn(() => Promise.resolve({ items: [message('a0', 'assistant'), message('u0', 'user')], next_cursor: 'older' })),
      streamMessage: vi.fn(() => Promise.resolve(null)),
      sendFeedback: vi.fn((id: string, value: number) => Promise.resolve(message(id, 'assistant', { feedback: value === 0 ? null : (value as 1 | -1) }))),
      stopTurn: vi.fn(() => Promise.resolve()),
      streamRegenerate: vi.fn(() => Promise.resolve(null)),
      streamEdit: vi.fn(() => Promise.resolve(null)),
      ...overrides,
    };
  }

  it('keeps messages oldest first and prepends older pages', async () => {
    const api = fakeApi({
      listMessages: vi.fn((_id: string, cursor?: string | null) =>
        Promise.resolve(
          cursor
            ? { items: [message('a-1', 'assistant'), message('u-1', 'user')], next_cursor: null }
            : { items: [message('a0', 'assistant'), message('u0', 'user')], next_cursor: 'older' },
        ),
      ),
    });
    const store = new ChatStore(api);
    await store.open('c1');
    expect(store.get('c1').messages.map((m) => m.id)).toEqual(['u0', 'a0']);
    await store.loadOlder('c1');
    expect(store.get('c1').messages.map((m) => m.id)).toEqual(['u-1', 'a-1', 'u0', 'a0']);
    expect(store.get('c1').olderCursor).toBeNull();
  });

  it('streams a turn into `pending`, then appends the stored messages', async () => {
    let emit: (e: TurnEvent) => void = () => undefined;
    let finish: () => void = () => undefined;
    const api = fakeApi({
      streamMessage: vi.fn((_id, _body, onEvent: (e: TurnEvent) => void) => {
        emit = onEvent;
        return new Promise<TurnResult | null>((resolve) => {
          finish = () => resolve({ user_message: message('u1', 'user'), message: message('a1', 'assistant') });
        });
      }),
    });
    const store = new ChatStore(api);
    await store.open('c1');
    const sending = store.send('c1', 'How do I price?');

    emit({ type: 'route', specialist: 'financial', reason: '', language: 'en' });
    emit({ type: 'answer', kind: 'financial', offline: false, language: 'en' });
    emit({ type: 'json', text: '{"analysis": "Start' });
    emit({ type: 'json', text: ' with costs.", "risks": ["Ca' });
    expect(store.get('c1').pending).toMatchObject({ content: 'How do I price?', specialist: 'financial' });
    expect(store.get('c1').pending?.partial).toEqual({
      kind: 'financial', offline: false, language: 'en', analysis: 'Start with costs.', risks: ['Ca'],
    });

    emit({ type: 'retry', attempt: 2 }); // the answer is produced again: what was streamed goes
    expect(store.get('c1').pending?.partial).toBeNull();
    emit({ type: 'answer', kind: 'financial', offline: false, language: 'en' });
    emit({ type: 'json', text: '{"analysis": "Again"}' });
    expect(store.get('c1').pending?.partial).toMatchObject({ kind: 'financial', analysis: 'Again' });

    finish();
    await sending;
    expect(store.get('c1').pending).toBeNull();
    expect(store.get('c1').messages.map((m) => m.id)).toEqual(['u0', 'a0', 'u1', 'a1']);
  });

  it('keeps a message the server never got as not sent, and sends it when the network returns', async () => {
    const streamMessage = vi
      .fn<ChatApi['streamMessage']>()
      .mockRejectedValueOnce(new ApiError(0, 'network_error', 'Failed to fetch'))
      .mockResolvedValueOnce({ user_message: message('u1', 'user'), message: message('a1', 'assistant') });
    const store = new ChatStore(fakeApi({ streamMessage }));
    await store.open('c1');
    await store.send('c1', 'hello');
    expect(store.get('c1').failed).toMatchObject({ content: 'hello' });

    window.dispatchEvent(new Event('online'));
    await vi.waitFor(() => expect(store.get('c1').failed).toBeNull());
    expect(streamMessage).toHaveBeenCalledTimes(2);
    expect(streamMessage.mock.calls[1]?.[1]).toEqual({ content: 'hello' });
    expect(store.get('c1').messages.map((m) => m.id)).toEqual(['u0', 'a0', 'u1', 'a1']);
  });

  it('after a stream that broke once the server had the message, shows it and follows the answer', async () => {
    vi.useFakeTimers();
    const question = message('u1', 'user', { created_at: new Date().toISOString() });
    const answer = message('a1', 'assistant');
    const listMessages = vi
      .fn<ChatApi['listMessages']>()
      .mockResolvedValueOnce({ items: [message('a0', 'assistant'), message('u0', 'user')] })
      .mockResolvedValueOnce({ items: [question, message('a0', 'assistant'), message('u0', 'user')] })
      .mockResolvedValueOnce({ items: [answer, question] });
    const streamMessage = vi.fn<ChatApi['streamMessage']>((_id, _body, onEvent) => {
      onEvent({ type: 'route', specialist: 'general', reason: '', language: 'en' });
      return Promise.reject(new ApiError(0, 'network_error', 'connection reset'));
    });
    const store = new ChatStore(fakeApi({ listMessages, streamMessage }));
    await store.open('c1');
    await store.send('c1', 'hello');
    expect(store.get('c1')).toMatchObject({ failed: null, answering: true });
    await vi.advanceTimersByTimeAsync(2_500);
    expect(store.get('c1').answering).toBe(false);
    expect(store.get('c1').messages.map((m) => m.id)).toEqual(['u0', 'a0', 'u1', 'a1']);
    vi.useRealTimers();
  });

  it('regenerates the last answer: the old one stays as an alternative, the question is not repeated', async () => {
    const question = message('u0', 'user');
    const old = message('a0', 'assistant', { reply_to_id: 'u0' });
    const fresh = message('a1', 'assistant', { reply_to_id: 'u0' });
    const streamRegenerate = vi.fn<ChatApi['streamRegenerate']>(() => Promise.resolve({ user_message: question, message: fresh }));
    const store = new ChatStore(fakeApi({ listMessages: vi.fn(() => Promise.resolve({ items: [old, question] })), streamRegenerate }));
    await store.open('c1');
    const regenerating = store.regenerate('c1', 'a0');
    expect(store.get('c1').pending).toMatchObject({ content: question.content });
    expect(transcriptView(store.get('c1').messages).rows.map((m) => m.id)).toEqual([]);
    await regenerating;
    expect(streamRegenerate).toHaveBeenCalledWith('c1', 'a0', expect.any(Function));
    const view = transcriptView(store.get('c1').messages);
    expect(view.rows.map((m) => m.id)).toEqual(['u0', 'a1']);
    expect(view.alternatives.get('u0')?.map((m) => [m.id, m.replaced ?? null])).toEqual([['a0', 'regenerated'], ['a1', null]]);
    expect(view.lastAnswerId).toBe('a1');
  });

  it('edits and resends the last question: its old answer leaves the view', async () => {
    const question = message('u0', 'user');
    const old = message('a0', 'assistant', { reply_to_id: 'u0' });
    const edited = { ...question, content: 'better words', edited: true };
    const streamEdit = vi.fn<ChatApi['streamEdit']>(() =>
      Promise.resolve({ user_message: edited, message: message('a1', 'assistant', { reply_to_id: 'u0' }) }),
    );
    const store = new ChatStore(fakeApi({ listMessages: vi.fn(() => Promise.resolve({ items: [old, question] })), streamEdit }));
    await store.open('c1');
    await store.edit('c1', 'u0', 'better words');
    expect(streamEdit).toHaveBeenCalledWith('c1', 'u0', 'better words', expect.any(Function));
    const view = transcriptView(store.get('c1').messages);
    expect(view.rows.map((m) => [m.id, m.content])).toEqual([['u0', 'better words'], ['a1', 'content a1']]);
    expect(view.alternatives.size).toBe(0);
    expect(view.lastQuestionId).toBe('u0');
  });

  it('after a refused regenerate, shows what the server holds again', async () => {
    const question = message('u0', 'user');
    const old = message('a0', 'assistant', { reply_to_id: 'u0' });
    const streamRegenerate = vi.fn<ChatApi['streamRegenerate']>(() => Promise.reject(new ApiError(409, 'turn_running', 'busy')));
    const store = new ChatStore(fakeApi({ listMessages: vi.fn(() => Promise.resolve({ items: [old, question] })), streamRegenerate }));
    await store.open('c1');
    await store.regenerate('c1', 'a0');
    expect(store.get('c1').pending).toBeNull();
    expect(transcriptView(store.get('c1').messages).rows.map((m) => m.id)).toEqual(['u0', 'a0']);
  });

  it('asks the server to stop the answer being written', async () => {
    let finish: () => void = () => undefined;
    const api = fakeApi({
      streamMessage: vi.fn(() => new Promise<TurnResult | null>((resolve) => {
        finish = () => resolve({ user_message: message('u1', 'user'), message: message('a1', 'assistant', { error_code: 'stopped' }) });
      })),
    });
    const store = new ChatStore(api);
    await store.open('c1');
    const sending = store.send('c1', 'hello');
    await store.stop('c1');
    expect(api.stopTurn).toHaveBeenCalledWith('c1');
    expect(store.get('c1').pending?.stopping).toBe(true);
    finish();
    await sending;
    expect(store.get('c1').messages.at(-1)?.error_code).toBe('stopped');
  });

  it('shows feedback at once and rolls it back if the server refuses', async () => {
    const api = fakeApi({ sendFeedback: vi.fn(() => Promise.reject(new Error('no'))) });
    const store = new ChatStore(api);
    await store.open('c1');
    const rating = store.feedback('c1', 'a0', 1);
    expect(store.get('c1').messages.find((m) => m.id === 'a0')?.feedback).toBe(1);
    await expect(rating).rejects.toThrow('no');
    expect(store.get('c1').messages.find((m) => m.id === 'a0')?.feedback).toBeNull();
  });

  it('a turn refused because a mentor has the conversation keeps the question and waits for no AI answer', async () => {
    const now = new Date().toISOString();
    const api = fakeApi({
      listMessages: vi.fn(() => Promise.resolve({ items: [message('u1', 'user', { created_at: now }), message('a0', 'assistant')], next_cursor: null })),
      streamMessage: vi.fn((_id, _body, onEvent: (e: TurnEvent) => void) => {
        onEvent({ type: 'error', message: 'A mentor is answering', code: 'conversation_paused' });
        return Promise.resolve(null);
      }),
    });
    const store = new ChatStore(api);
    await store.send('c1', 'hola');
    expect(store.get('c1').messages.map((m) => m.id)).toEqual(['a0', 'u1']);
    expect(store.get('c1').withMentor).toBe(true);
    expect(store.get('c1').answering).toBe(false);
    // The mentor gives the conversation back: the question awaits the AI again.
    store.setWithMentor('c1', false);
    expect(store.get('c1').answering).toBe(true);
  });

  it("after a mentor's message the participant's newer questions await no AI answer", async () => {
    const now = new Date().toISOString();
    const items = [message('u2', 'user', { created_at: now }), message('m1', 'assistant', { author_name: 'Marta', agent: null }), message('u1', 'user')];
    const store = new ChatStore(fakeApi({ listMessages: vi.fn(() => Promise.resolve({ items, next_cursor: null })) }));
    await store.open('c1');
    expect(store.get('c1').answering).toBe(false);
    const plain = new ChatStore(fakeApi({ listMessages: vi.fn(() => Promise.resolve({ items: [items[0] as Message], next_cursor: null })) }));
    await plain.open('c1');
    expect(plain.get('c1').answering).toBe(true);
  });

  it('sends the reason for a 👎 with the rating', async () => {
    const api = fakeApi();
    const store = new ChatStore(api);
    await store.open('c1');
    await store.feedback('c1', 'a0', -1, { tags: ['unclear'], comment: 'No entiendo el paso 2' });
    expect(api.sendFeedback).toHaveBeenCalledWith('a0', -1, { tags: ['unclear'], comment: 'No entiendo el paso 2' });
  });
});
