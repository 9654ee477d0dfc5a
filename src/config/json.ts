// Lossless JSON: integers beyond 2^53 (seccomp argument values, uint64 limits) become BigInt instead of
// being rounded. JSON.parse is used whenever the text has no integer long enough to lose precision,
// which is every config a client sends in practice; the slow path is a small recursive parser.

export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

const LONG_INT = /[0-9]{16,}/;

export function parseLossless(text: string): unknown {
  if (!LONG_INT.test(text)) return JSON.parse(text);
  return new Parser(text).document();
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): Json {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.error('unexpected data after the JSON value');
    return v;
  }

  private error(what: string): never {
    throw new SyntaxError(`${what} in JSON at position ${this.i}`);
  }

  private ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.i++;
    }
  }

  private value(): Json {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    this.error(c === undefined ? 'unexpected end' : `unexpected token ${JSON.stringify(c)}`);
  }

  private object(): Json {
    const out: { [k: string]: Json } = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.error('expected a property name');
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.error('expected ":"');
      out[key] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.error('expected "," or "}"');
    }
  }

  private array(): Json {
    const out: Json[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.error('expected "," or "]"');
    }
  }

  private string(): string {
    // Reuse JSON.parse for escapes: find the closing quote, then parse just that literal.
    const start = this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === '"') break;
      else this.i++;
    }
    if (this.i >= this.s.length) this.error('unterminated string');
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private number(): Json {
    const m = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (!r) this.error('bad number');
    this.i = m.lastIndex;
    const text = r[0];
    if (r[2] === undefined && r[3] === undefined) {
      const n = Number(text);
      if (!Number.isSafeInteger(n)) return BigInt(text);
      return n;
    }
    return Number(text);
  }
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * A copy with every BigInt replaced by the nearest Number, for schema validation. Near 2^64 doubles
 * cannot tell 2^64 from 2^64-1, so a value outside every 64-bit range becomes one no range admits:
 * validation refuses it instead of the kernel getting it wrapped.
 */
export function toValidatable(v: unknown): unknown {
  if (typeof v === 'bigint') return v > UINT64_MAX ? Number.MAX_VALUE : v < INT64_MIN ? -Number.MAX_VALUE : Number(v);
  if (Array.isArray(v)) return v.map(toValidatable);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toValidatable(x);
    return out;
  }
  return v;
}

/** Deeper than any document tsrun reads (a config nests about 6 levels): refused, not a stack overflow. */
export const MAX_DEPTH = 64;

export class TooDeep extends Error {
  constructor(readonly path: string) {
    super(`${path || 'the document'} is nested deeper than ${MAX_DEPTH} levels`);
  }
}

/** Whether the value holds any BigInt (then validation needs a Number copy); throws TooDeep. */
export function hasBigInt(v: unknown, depth = 0, path = ''): boolean {
  if (typeof v === 'bigint') return true;
  if (!v || typeof v !== 'object') return false;
  if (depth >= MAX_DEPTH) throw new TooDeep(path);
  let found = false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (hasBigInt(v[i], depth + 1, `${path}[${i}]`)) found = true;
  } else {
    for (const [k, x] of Object.entries(v)) if (hasBigInt(x, depth + 1, path ? `${path}.${k}` : k)) found = true;
  }
  return found;
}
