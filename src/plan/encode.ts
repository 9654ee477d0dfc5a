// Wire encoding of the tsrun <-> tsrun-init protocol (the layout is documented in src/plan/ops.json).
// Plan payload: u32 version, u32 flags, u32 op count, then per op: u16 code, u16 0, u32 body length, body.
// Frame: u32 payload length, u16 message type, u16 0, payload.
import { OpCode, OpFields, PROTOCOL_VERSION, type FieldKind, type Op } from './ops.gen.js';

const te = new TextEncoder();

class Writer {
  private buf = new Uint8Array(4096);
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
  u16(v: number): void { this.room(2); this.view.setUint16(this.len, v, true); this.len += 2; }
  u32(v: number): void { this.room(4); this.view.setUint32(this.len, v >>> 0, true); this.len += 4; }
  setU32(at: number, v: number): void { this.view.setUint32(at, v >>> 0, true); }
  u64(v: number | bigint): void {
    this.room(8);
    // Negative values travel as two's complement (oom_score_adj, signed limits).
    this.view.setBigUint64(this.len, BigInt.asUintN(64, BigInt(v)), true);
    this.len += 8;
  }
  str(v: string | Uint8Array): void {
    const bytes = typeof v === 'string' ? te.encode(v) : v;
    this.u32(bytes.length);
    this.room(bytes.length + 1);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.buf[this.len++] = 0;
  }
  bytes(): Uint8Array { return this.buf.slice(0, this.len); }
}

function field(w: Writer, kind: FieldKind, v: unknown): void {
  switch (kind) {
    case 'u64': w.u64(v as number | bigint); break;
    case 'str': w.str(v as string | Uint8Array); break;
    case 'strlist': { const l = v as string[]; w.u32(l.length); for (const s of l) w.str(s); break; }
    case 'u64list': { const l = v as (number | bigint)[]; w.u32(l.length); for (const n of l) w.u64(n); break; }
  }
}

/** Encodes the ops into the payload of a `plan` message. */
export function encodePlan(ops: readonly Op[], flags = 0): Uint8Array {
  const w = new Writer();
  w.u32(PROTOCOL_VERSION);
  w.u32(flags);
  w.u32(ops.length);
  for (const op of ops) {
    w.u16(OpCode[op.op]);
    w.u16(0);
    const at = w.len;
    w.u32(0);
    const rec = op as unknown as Record<string, unknown>;
    for (const [name, kind] of OpFields[op.op]) {
      if (rec[name] === undefined) throw new Error(`plan op ${op.op}: field ${name} is missing`);
      field(w, kind, rec[name]);
    }
    w.setU32(at, w.len - at - 4);
  }
  return w.bytes();
}

/** Encodes one frame (header + payload). */
export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, payload.length, true);
  v.setUint16(4, type, true);
  out.set(payload, 8);
  return out;
}

/** Reads the payload of a message from init: sync, pid, error, trace. */
export function decodeFromInit(type: number, p: Uint8Array): { step?: number; kind?: number; pid?: number; errno?: number; detail?: string; ns?: bigint } {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  switch (type) {
    case 16: return { kind: v.getUint32(0, true), step: v.getUint32(4, true) };
    case 17: return { pid: Number(v.getBigUint64(0, true)) };
    case 18: {
      const len = v.getUint32(8, true);
      return { step: v.getUint32(0, true), errno: v.getInt32(4, true), detail: new TextDecoder().decode(p.subarray(12, 12 + len)) };
    }
    case 19: return { step: v.getUint32(0, true), ns: v.getBigUint64(4, true) };
    case 20: return { kind: v.getUint32(0, true), step: v.getUint32(4, true) };
    default: return {};
  }
}
