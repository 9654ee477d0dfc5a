// D-Bus messages: the fixed header, the header fields and the body, to bytes and back. tsrun writes
// little-endian; it reads either byte order (the bus forwards each sender's own).
import { Reader, Writer, variant, type Variant } from './wire.js';

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Header flag: the caller does not want a reply. */
export const NO_REPLY_EXPECTED = 1;

export interface Message {
  type: MessageType;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: unknown[];
}

const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8 } as const;
const FIELD_SIG: Record<number, string> = { 1: 'o', 2: 's', 3: 's', 4: 's', 5: 'u', 6: 's', 7: 's', 8: 'g', 9: 'u' };
const MAX_MESSAGE = 128 * 1024 * 1024;

export function encodeMessage(m: Message): Uint8Array {
  const body = new Writer();
  if (m.signature) body.write(m.signature, m.body);
  const w = new Writer();
  w.value('y', 'l'.charCodeAt(0));
  w.value('y', m.type);
  w.value('y', m.flags);
  w.value('y', 1);
  w.value('u', body.len);
  w.value('u', m.serial);
  const fields: [number, Variant][] = [];
  for (const [name, code] of Object.entries(FIELD)) {
    const v = m[name as keyof typeof FIELD];
    if (v !== undefined && !(name === 'signature' && v === '')) fields.push([code, variant(FIELD_SIG[code], v)]);
  }
  w.value('a(yv)', fields);
  w.align(8);
  const head = w.bytes();
  const out = new Uint8Array(head.length + body.len);
  out.set(head);
  // The body was marshalled from offset 0, and it starts 8-aligned here: same padding.
  out.set(body.bytes(), head.length);
  return out;
}

/** Bytes needed for the whole message whose first 16 bytes are given (undefined: fewer than 16). */
export function messageLength(buf: Uint8Array): number | undefined {
  if (buf.length < 16) return undefined;
  const little = buf[0] === 0x6c;
  if (!little && buf[0] !== 0x42) throw new Error(`D-Bus message with an unknown byte order 0x${buf[0].toString(16)}`);
  const v = new DataView(buf.buffer, buf.byteOffset, 16);
  const bodyLen = v.getUint32(4, little);
  const fieldsLen = v.getUint32(12, little);
  const headEnd = 16 + fieldsLen + ((8 - (fieldsLen % 8)) % 8);
  const total = headEnd + bodyLen;
  if (total > MAX_MESSAGE) throw new Error(`D-Bus message of ${total} bytes is too large`);
  return total;
}

export function decodeMessage(buf: Uint8Array): Message {
  const little = buf[0] === 0x6c;
  const r = new Reader(buf, little);
  r.pos = 1;
  const type = r.value('y') as MessageType;
  const flags = r.value('y') as number;
  const version = r.value('y') as number;
  if (version !== 1) throw new Error(`D-Bus protocol version ${version} is not 1`);
  const bodyLen = r.u32();
  const serial = r.u32();
  const m: Message = { type, flags, serial, signature: '', body: [] };
  for (const [code, v] of r.value('a(yv)') as [number, Variant][]) {
    const name = (Object.keys(FIELD) as (keyof typeof FIELD)[]).find((k) => FIELD[k] === code);
    if (name) (m as unknown as Record<string, unknown>)[name] = v.value;
  }
  r.align(8);
  if (r.pos + bodyLen !== buf.length) throw new Error('D-Bus message length does not match its header');
  // Body alignment counts from the body's start, which is 8-aligned in the message: same offsets.
  if (m.signature) m.body = new Reader(buf.subarray(r.pos), little).read(m.signature);
  return m;
}
