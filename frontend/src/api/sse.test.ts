import { describe, expect, it } from 'vitest';
import { createSseParser, readSse, type SseMessage } from './sse';

const STREAM =
  'event: route\ndata: {"specialist":"marketing","reason":"pricing","language":"es"}\n\n' +
  ': keep-alive\n\n' +
  'event: delta\ndata: {"text":"Hola, "}\n\n' +
  'event: delta\r\ndata: {"text":"¿qué tal? 👋"}\r\n\r\n' +
  'event: done\ndata: {"ok":\ndata: true}\n\n';

const EXPECTED: SseMessage[] = [
  { event: 'route', data: '{"specialist":"marketing","reason":"pricing","language":"es"}' },
  { event: 'delta', data: '{"text":"Hola, "}' },
  { event: 'delta', data: '{"text":"¿qué tal? 👋"}' },
  { event: 'done', data: '{"ok":\ntrue}' },
];

function parseInChunks(chunks: string[]): SseMessage[] {
  const out: SseMessage[] = [];
  const parser = createSseParser((m) => out.push(m));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return out;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('SSE parser', () => {
  it('parses a whole stream in one chunk', () => {
    expect(parseInChunks([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events wherever the stream is split in two', () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(parseInChunks([STREAM.slice(0, cut), STREAM.slice(cut)]), `split at ${cut}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events when every character arrives alone', () => {
    expect(parseInChunks(Array.from(STREAM))).toEqual(EXPECTED);
  });

  it('treats a CRLF split between chunks as one line end', () => {
    expect(parseInChunks(['data: a\r', '\n\r', '\n'])).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('keeps only the first space after the colon and ignores unknown fields', () => {
    expect(parseInChunks(['data:  two spaces\nretry: 10\nfoo: bar\n\n'])).toEqual([{ event: 'message', data: ' two spaces' }]);
  });

  it('does not dispatch an event with no data lines', () => {
    expect(parseInChunks(['event: ping\n\n'])).toEqual([]);
  });

  it('decodes UTF-8 characters split across byte chunks', async () => {
    const bytes = new TextEncoder().encode(STREAM);
    const emoji = STREAM.indexOf('👋');
    const byteCut = new TextEncoder().encode(STREAM.slice(0, emoji)).length + 2; // inside the 4-byte emoji
    const out: SseMessage[] = [];
    await readSse(streamOf([bytes.slice(0, byteCut), bytes.slice(byteCut)]), (m) => out.push(m));
    expect(out).toEqual(EXPECTED);
  });
});
