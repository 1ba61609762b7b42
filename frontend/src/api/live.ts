/**
 * The tab's one live stream (`GET /events`): what changed in the conversations this user may
 * see, from any API process. Events carry ids, never content; listeners refetch what they show.
 *
 * The stream is read with `fetch` (an EventSource cannot send the bearer token) and reopened
 * whenever it ends: the server closes it when the access token expires, and a reopened stream
 * starts with `ready`, on which everything shown is reloaded (changes may have been missed).
 */
import { readSse } from './sse';
import type { operations } from './schema';
import { session as defaultSession, type Session } from './session';

type StreamEvent = operations['live_events']['responses'][200]['content']['text/event-stream'];
export type LiveChange = Extract<StreamEvent, { type: 'change' }>;

/** `change`: one thing changed; `reload`: anything may have (connected again, or fell behind). */
export type LiveSignal = { type: 'change'; change: LiveChange } | { type: 'reload' };

type Listener = (signal: LiveSignal) => void;

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

export interface LiveStream {
  start(): void;
  stop(): void;
  subscribe(listener: Listener): () => void;
}

export function createLiveStream(session: Pick<Session, 'baseUrl' | 'fetch'> = defaultSession): LiveStream {
  const listeners = new Set<Listener>();
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let retryMs = FIRST_RETRY_MS;

  const emit = (signal: LiveSignal) => {
    for (const listener of listeners) listener(signal);
  };

  const onMessage = ({ event, data }: { event: string; data: string }) => {
    if (event === 'ready') {
      retryMs = FIRST_RETRY_MS;
      emit({ type: 'reload' });
    } else if (event === 'resync') emit({ type: 'reload' });
    else if (event === 'change') emit({ type: 'change', change: JSON.parse(data) as LiveChange });
  };

  const connect = async (signal: AbortSignal) => {
    const request = new Request(`${session.baseUrl}/events`, { headers: { Accept: 'text/event-stream' }, signal });
    const response = await session.fetch(request);
    if (!response.ok || !response.body) throw new Error(`live events: ${response.status}`);
    await readSse(response.body, onMessage);
  };

  const run = () => {
    const current = new AbortController();
    controller = current;
    connect(current.signal)
      .catch(() => {
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      })
      .finally(() => {
        if (controller !== current) return; // stopped
        timer = setTimeout(run, retryMs);
      });
  };

  return {
    start() {
      if (controller) return;
      retryMs = FIRST_RETRY_MS;
      run();
    },
    stop() {
      const current = controller;
      controller = null;
      if (timer) clearTimeout(timer);
      timer = null;
      current?.abort();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export const liveStream = createLiveStream();
