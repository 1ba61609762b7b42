/**
 * Parses JSON that may stop anywhere, as a streamed answer's JSON does until
 * it is complete: what is there is returned (an unfinished string value is
 * kept as far as it goes; an unfinished key, number or literal is left out).
 * Malformed JSON (not just cut short) returns `undefined`.
 */
/** The text ends inside this value. */
class Cut extends Error {}
const LITERAL = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Reader {
  i = 0;

  constructor(private readonly s: string) {}

  private atEnd(): boolean {
    this.skipSpace();
    return this.i >= this.s.length;
  }

  private skipSpace() {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i] ?? '')) this.i++;
  }

  value(): unknown {
    if (this.atEnd()) throw new Cut();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string().text;
    const rest = this.s.slice(this.i);
    const match = LITERAL.exec(rest);
    if (!match || match[0].length === rest.length) {
      // At the very end a number or literal may go on (`12` → `123`, `tr` → `true`).
      if (/^[-+\d.eEtrufalsn]*$/.test(rest)) throw new Cut();
      throw new SyntaxError('not JSON');
    }
    this.i += match[0].length;
    return JSON.parse(match[0]) as unknown;
  }

  /** A string, and whether it was cut short by the end of the text. */
  private string(): { text: string; cut: boolean } {
    this.i++; // the opening quote
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i] ?? '';
      if (c === '"') {
        this.i++;
        return { text: out, cut: false };
      }
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const next = this.s[this.i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const hex = this.s.slice(this.i + 2, this.i + 6);
        if (hex.length < 4) break;
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 6;
      } else {
        out += ESCAPES[next] ?? next;
        this.i += 2;
      }
    }
    this.i = this.s.length;
    return { text: out, cut: true };
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    while (!this.atEnd()) {
      const c = this.s[this.i];
      if (c === ']') {
        this.i++;
        return out;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      try {
        out.push(this.value());
      } catch (error) {
        if (error instanceof Cut) return out;
        throw error;
      }
    }
    return out;
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    while (!this.atEnd()) {
      const c = this.s[this.i];
      if (c === '}') {
        this.i++;
        return out;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c !== '"') throw new SyntaxError('expected a key');
      const key = this.string();
      if (key.cut || this.atEnd()) return out;
      if (this.s[this.i] !== ':') throw new SyntaxError('expected ":"');
      this.i++;
      try {
        out[key.text] = this.value();
      } catch (error) {
        if (error instanceof Cut) return out;
        throw error;
      }
    }
    return out;
  }
}

export function parsePartialJson(text: string): unknown {
  try {
    return new Reader(text).value();
  } catch {
    return undefined;
  }
}
