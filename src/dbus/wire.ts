// The D-Bus wire format (marshalling of the body and header values), for the types systemd's API
// uses. Values in JS: y n q i u h d -> number, x t -> bigint, b -> boolean, s o g -> string,
// a<T> -> T[] (ay also accepts a Uint8Array and is read back as one), a{KV} -> [K, V][],
// (..) -> unknown[], v -> Variant. Everything is aligned from the start of the message, as the
// specification says: one Writer / Reader covers a whole message.

export interface Variant {
  sig: string;
  value: unknown;
}

export const variant = (sig: string, value: unknown): Variant => ({ sig, value });

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1 };

/** The end (exclusive) of the single complete type starting at sig[i]. */
export function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === undefined) throw new Error(`D-Bus signature "${sig}": a type is missing`);
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    let n = 0;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new Error(`D-Bus signature "${sig}": unclosed ${c}`);
      j = typeEnd(sig, j);
      n++;
    }
    if (c === '{' && n !== 2) throw new Error(`D-Bus signature "${sig}": a dict entry holds two types`);
    if (c === '(' && n === 0) throw new Error(`D-Bus signature "${sig}": empty struct`);
    return j + 1;
  }
  if (!(c in ALIGN) || c === ')' || c === '}') throw new Error(`D-Bus signature "${sig}": unknown type "${c}"`);
  return i + 1;
}

/** The complete types of a signature: "sa{sv}" -> ["s", "a{sv}"]. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const e = typeEnd(sig, i);
    out.push(sig.slice(i, e));
    i = e;
  }
  return out;
}

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  align(n: number): void {
    const pad = (n - (this.len % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** Overwrites a u32 already written (an array's length, the header's body length). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  private raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private str(s: string, short: boolean): void {
    const b = new TextEncoder().encode(s);
    if (short) {
      if (b.length > 255) throw new Error('D-Bus signature longer than 255 bytes');
      this.room(1);
      this.buf[this.len++] = b.length;
    } else {
      this.align(4);
      this.room(4);
      this.view.setUint32(this.len, b.length, true);
      this.len += 4;
    }
    this.raw(b);
    this.room(1);
    this.buf[this.len++] = 0;
  }

  /** Writes each value of `values` as the types of `sig`, in order. */
  write(sig: string, values: unknown[]): void {
    const types = splitSignature(sig);
    if (types.length !== values.length) throw new Error(`D-Bus signature "${sig}" has ${types.length} types, ${values.length} values given`);
    types.forEach((t, i) => this.value(t, values[i]));
  }

  value(t: string, v: unknown): void {
    const c = t[0];
    const bad = (what: string) => new Error(`D-Bus "${t}": ${what}, got ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)}`);
    const int = (lo: number, hi: number): number => {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) throw bad(`an integer in ${lo}..${hi}`);
      return n;
    };
    const big = (lo: bigint, hi: bigint): bigint => {
      const n = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
      if (typeof n !== 'bigint' || n < lo || n > hi) throw bad('a 64-bit integer');
      return n;
    };
    this.align(ALIGN[c] ?? 1);
    switch (c) {
      case 'y': this.room(1); this.buf[this.len++] = int(0, 255); return;
      case 'b':
        if (typeof v !== 'boolean') throw bad('a boolean');
        this.room(4); this.view.setUint32(this.len, v ? 1 : 0, true); this.len += 4; return;
      case 'n': this.room(2); this.view.setInt16(this.len, int(-0x8000, 0x7fff), true); this.len += 2; return;
      case 'q': this.room(2); this.view.setUint16(this.len, int(0, 0xffff), true); this.len += 2; return;
      case 'i': this.room(4); this.view.setInt32(this.len, int(-0x80000000, 0x7fffffff), true); this.len += 4; return;
      case 'u': case 'h': this.room(4); this.view.setUint32(this.len, int(0, 0xffffffff), true); this.len += 4; return;
      case 'x': this.room(8); this.view.setBigInt64(this.len, big(-(1n << 63n), (1n << 63n) - 1n), true); this.len += 8; return;
      case 't': this.room(8); this.view.setBigUint64(this.len, big(0n, (1n << 64n) - 1n), true); this.len += 8; return;
      case 'd':
        if (typeof v !== 'number') throw bad('a number');
        this.room(8); this.view.setFloat64(this.len, v, true); this.len += 8; return;
      case 's': case 'o':
        if (typeof v !== 'string') throw bad('a string');
        this.str(v, false); return;
      case 'g':
        if (typeof v !== 'string') throw bad('a signature');
        splitSignature(v);
        this.str(v, true); return;
      case 'v': {
        const x = v as Variant;
        if (!x || typeof x.sig !== 'string' || splitSignature(x.sig).length !== 1) throw bad('a variant {sig, value} of one complete type');
        this.str(x.sig, true);
        this.value(x.sig, x.value);
        return;
      }
      case '(': {
        const inner = splitSignature(t.slice(1, -1));
        if (!Array.isArray(v) || v.length !== inner.length) throw bad(`an array of ${inner.length} struct fields`);
        inner.forEach((it, i) => this.value(it, v[i]));
        return;
      }
      case 'a': {
        const elem = t.slice(1);
        this.room(4);
        const at = this.len;
        this.len += 4;
        // The length counts from the first element, after the padding to its alignment.
        this.align(ALIGN[elem[0]] ?? 1);
        const start = this.len;
        if (elem === 'y' && v instanceof Uint8Array) this.raw(v);
        else {
          if (!Array.isArray(v)) throw bad('an array');
          if (elem[0] === '{') {
            const [k, val] = splitSignature(elem.slice(1, -1));
            for (const e of v) {
              if (!Array.isArray(e) || e.length !== 2) throw bad('[key, value] pairs');
              this.align(8);
              this.value(k, e[0]);
              this.value(val, e[1]);
            }
          } else for (const e of v) this.value(elem, e);
        }
        const n = this.len - start;
        if (n > 1 << 26) throw new Error('D-Bus array longer than 64 MiB');
        this.patchU32(at, n);
        return;
      }
      default:
        throw new Error(`D-Bus type "${t}" cannot be written`);
    }
  }
}

export class Reader {
  private view: DataView;
  pos: number;

  constructor(readonly buf: Uint8Array, readonly little: boolean, pos = 0) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('D-Bus message truncated');
  }

  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
    if (this.pos > this.buf.length) throw new Error('D-Bus message truncated');
  }

  u32(): number {
    this.align(4);
    this.need(4);
    const v = this.view.getUint32(this.pos, this.little);
    this.pos += 4;
    return v;
  }

  private str(short: boolean): string {
    const n = short ? (this.need(1), this.buf[this.pos++]) : this.u32();
    this.need(n + 1);
    const s = new TextDecoder().decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n + 1;
    return s;
  }

  read(sig: string): unknown[] {
    return splitSignature(sig).map((t) => this.value(t));
  }

  value(t: string): unknown {
    const c = t[0];
    this.align(ALIGN[c] ?? 1);
    const le = this.little;
    const at = this.pos;
    const take = (n: number) => { this.need(n); this.pos += n; return at; };
    switch (c) {
      case 'y': return this.buf[take(1)];
      case 'b': return this.view.getUint32(take(4), le) !== 0;
      case 'n': return this.view.getInt16(take(2), le);
      case 'q': return this.view.getUint16(take(2), le);
      case 'i': return this.view.getInt32(take(4), le);
      case 'u': case 'h': return this.view.getUint32(take(4), le);
      case 'x': return this.view.getBigInt64(take(8), le);
      case 't': return this.view.getBigUint64(take(8), le);
      case 'd': return this.view.getFloat64(take(8), le);
      case 's': case 'o': return this.str(false);
      case 'g': return this.str(true);
      case 'v': {
        const sig = this.str(true);
        return variant(sig, this.value(sig));
      }
      case '(': return splitSignature(t.slice(1, -1)).map((it) => this.value(it));
      case 'a': {
        const n = this.u32();
        const elem = t.slice(1);
        this.align(ALIGN[elem[0]] ?? 1);
        this.need(n);
        const end = this.pos + n;
        if (elem === 'y') {
          const b = this.buf.slice(this.pos, end);
          this.pos = end;
          return b;
        }
        const out: unknown[] = [];
        const kv = elem[0] === '{' ? splitSignature(elem.slice(1, -1)) : undefined;
        while (this.pos < end) {
          if (kv) {
            this.align(8);
            out.push([this.value(kv[0]), this.value(kv[1])]);
          } else out.push(this.value(elem));
        }
        if (this.pos !== end) throw new Error('D-Bus array elements overrun its length');
        return out;
      }
      default:
        throw new Error(`D-Bus type "${t}" cannot be read`);
    }
  }
}
