import { describe, expect, it } from 'vitest';
import { parsePartialJson } from './partialJson';

const FULL = '{"advice": "Habla con \\"clientes\\"\\nya", "action_items": ["Llama", "Escribe"], "n": 12, "ok": true}';

describe('parsePartialJson', () => {
  it('parses complete JSON like JSON.parse', () => {
    expect(parsePartialJson(FULL)).toEqual(JSON.parse(FULL));
  });

  it('returns what is there at every cut, never throwing', () => {
    for (let end = 0; end <= FULL.length; end++) {
      const value = parsePartialJson(FULL.slice(0, end));
      if (end === 0) expect(value).toBeUndefined();
      else expect(typeof value).toBe('object');
    }
  });

  it('keeps an unfinished string value and drops an unfinished key or literal', () => {
    expect(parsePartialJson('{"advice": "Habla con')).toEqual({ advice: 'Habla con' });
    expect(parsePartialJson('{"advice": "Hola", "acti')).toEqual({ advice: 'Hola' });
    expect(parsePartialJson('{"items": ["uno", "do')).toEqual({ items: ['uno', 'do'] });
    expect(parsePartialJson('{"ok": tr')).toEqual({});
    expect(parsePartialJson('{"a": "x\\')).toEqual({ a: 'x' });
    expect(parsePartialJson('{"a": "\\u00e1\\u00')).toEqual({ a: 'á' });
  });

  it('gives up on malformed JSON', () => {
    expect(parsePartialJson('{"a" 1}')).toBeUndefined();
    expect(parsePartialJson('{a: 1}')).toBeUndefined();
  });
});
