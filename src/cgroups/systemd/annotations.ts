// org.systemd.property.<Name>=<value> annotations, as runc's initSystemdProps: the name is letters
// only (3 or more), the value is GVariant text (godbus ParseVariant), and a name ending in a lowercase
// letter + "Sec" becomes "...USec" with the number turned into microseconds.
// The text format is covered for what unit properties take: booleans, numbers with or without a type
// keyword ("uint64 5", "@t 5", "5" = int32, "5.5" = double), strings in quotes, and arrays of these.
import { fail } from '../../errors.js';
import { variant, type Variant } from '../../dbus/wire.js';
import type { Property } from './properties.js';

const PREFIX = 'org.systemd.property.';
const KEYWORDS: Record<string, string> = { byte: 'y', int16: 'n', uint16: 'q', int32: 'i', uint32: 'u', int64: 'x', uint64: 't', double: 'd', boolean: 'b', string: 's', objectpath: 'o', signature: 'g', handle: 'h' };
const INT_RANGE: Record<string, [bigint, bigint]> = { y: [0n, 255n], n: [-32768n, 32767n], q: [0n, 65535n], i: [-(1n << 31n), (1n << 31n) - 1n], u: [0n, (1n << 32n) - 1n], h: [0n, (1n << 32n) - 1n], x: [-(1n << 63n), (1n << 63n) - 1n], t: [0n, (1n << 64n) - 1n] };

class Parser {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void { while (/\s/.test(this.s[this.i] ?? '')) this.i++; }
  done(): boolean { this.ws(); return this.i >= this.s.length; }
  err(what: string): Error { return new Error(`${what} at offset ${this.i}`); }

  /** One value; `want` is the type asked by an enclosing keyword or array (or undefined). */
  value(want?: string): Variant {
    this.ws();
    const rest = this.s.slice(this.i);
    const at = /^@([a-z]+|\S)\s*/.exec(rest);
    if (at && !want) {
      this.i += at[0].length;
      return this.value(at[1]);
    }
    const kw = /^([a-z]+\d*)\s+/.exec(rest);
    if (kw && KEYWORDS[kw[1]]) {
      this.i += kw[0].length;
      return this.value(KEYWORDS[kw[1]]);
    }
    const c = this.s[this.i];
    if (c === '[') return this.array(want);
    if (c === "'" || c === '"') {
      const v = this.string();
      const t = want ?? 's';
      if (!'sog'.includes(t)) throw this.err(`a string where ${t} was expected`);
      return variant(t, v);
    }
    const word = /^(true|false)\b/.exec(rest);
    if (word) {
      if (want && want !== 'b') throw this.err(`a boolean where ${want} was expected`);
      this.i += word[0].length;
      return variant('b', word[1] === 'true');
    }
    const num = /^[-+]?(0x[0-9a-fA-F]+|\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/.exec(rest);
    if (num) {
      this.i += num[0].length;
      const text = num[0];
      const isFloat = /[.eE]/.test(text) && !/^[-+]?0x/.test(text);
      const t = want ?? (isFloat ? 'd' : 'i');
      if (t === 'd') return variant('d', Number(text));
      const range = INT_RANGE[t];
      if (!range || isFloat) throw this.err(`a number where ${t} was expected`);
      const neg = text.startsWith('-');
      const v = BigInt(text.replace(/^[-+]/, '')) * (neg ? -1n : 1n);
      if (v < range[0] || v > range[1]) throw this.err(`${text} is out of range for ${t}`);
      return variant(t, t === 'x' || t === 't' ? v : Number(v));
    }
    throw this.err('unexpected text');
  }

  private string(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== q) {
      let ch = this.s[this.i++];
      if (ch === '\\') {
        const e = this.s[this.i++];
        ch = ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? e;
      }
      out += ch;
    }
    if (this.s[this.i] !== q) throw this.err('unterminated string');
    this.i++;
    return out;
  }

  private array(want?: string): Variant {
    if (want && want[0] !== 'a') throw this.err(`an array where ${want} was expected`);
    this.i++;
    let elem = want?.slice(1);
    const items: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      if (!elem) throw this.err('an empty array needs a type (@as [])');
      return variant(`a${elem}`, []);
    }
    for (;;) {
      const v = this.value(elem);
      if (elem === undefined) elem = v.sig;
      else if (v.sig !== elem) throw this.err(`array elements of types ${elem} and ${v.sig}`);
      items.push(v.value);
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') break;
      if (c !== ',') throw this.err('"," or "]" expected');
    }
    return variant(`a${elem}`, items);
  }
}

/** GVariant text -> a variant (the subset described above). */
export function parseVariantText(text: string): Variant {
  const p = new Parser(text);
  const v = p.value();
  if (!p.done()) throw p.err('text after the value');
  return v;
}

/** Sec -> USec for the number types, as runc's convertSecToUSec. */
function secToUSec(v: Variant): Variant {
  if (!'ynqiuxtd'.includes(v.sig) || v.sig.length !== 1) throw new Error('not a number');
  if (v.sig === 'd') return variant('t', BigInt(Math.trunc((v.value as number) * 1e6)));
  const n = BigInt(v.value as number | bigint) * 1000000n;
  return variant('t', BigInt.asUintN(64, n));
}

/** The unit properties the config's annotations ask for. */
export function annotationProperties(annotations: Record<string, string> | undefined): Property[] {
  const props: Property[] = [];
  for (const [k, text] of Object.entries(annotations ?? {})) {
    if (!k.startsWith(PREFIX)) continue;
    let name = k.slice(PREFIX.length);
    if (name.length < 3) throw fail(`annotation ${k} name incorrect: too short`, { configPath: `annotations.${k}` });
    if (!/^[A-Za-z]+$/.test(name)) throw fail(`annotation ${k} name incorrect: contains non-alphabetic character`, { configPath: `annotations.${k}` });
    let value: Variant;
    try {
      value = parseVariantText(text);
      if (/[a-z]Sec$/.test(name)) {
        name = `${name.slice(0, -3)}USec`;
        value = secToUSec(value);
      }
    } catch (e) {
      throw fail(`annotation ${k}=${text} value parse error: ${(e as Error).message}`, { configPath: `annotations.${k}` });
    }
    props.push([name, value]);
  }
  return props;
}
