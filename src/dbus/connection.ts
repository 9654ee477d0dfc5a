// A synchronous D-Bus connection over a unix socket: SASL EXTERNAL, Hello, method calls and signal
// waits. Synchronous because every tsrun command that needs systemd (create, update, delete, exec)
// runs its steps synchronously between clone and the container's syncs; the socket calls are the
// addon's plain connect/read/write/poll, so this works the same under Node and Bun.
import { sys } from '../sys/index.js';
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from './message.js';

const POLLIN = 1;
const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };

/** An error reply: name is the D-Bus error name (org.freedesktop.systemd1.NoSuchUnit...). */
export class DBusError extends Error {
  /** The error's D-Bus name (Error.name holds it too). */
  readonly dbusName: string;
  constructor(name: string, readonly text: string) {
    super(text ? `${name}: ${text}` : name);
    this.name = name;
    this.dbusName = name;
  }
}

export interface CallOptions {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
  timeoutMs?: number;
}

export class Connection {
  private serial = 0;
  private inbuf = new Uint8Array(0);
  /** Signals read while waiting for a reply: waitSignal looks at these first. */
  private pending: Message[] = [];
  uniqueName = '';

  private constructor(private fd: number) {}

  /** Connects to the socket, authenticates as this process's uid and says Hello. */
  static open(socketPath: string, timeoutMs = 25_000): Connection {
    const c = new Connection(sys().connectUnix(socketPath));
    try {
      c.auth(timeoutMs);
      c.uniqueName = c.call({ ...BUS, member: 'Hello', timeoutMs })[0] as string;
      return c;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    try { sys().close(this.fd); } catch {}
    this.fd = -1;
  }

  private send(bytes: Uint8Array): void {
    for (let off = 0; off < bytes.length; ) off += sys().write(this.fd, bytes, off);
  }

  /** Reads more bytes into inbuf; false at the deadline. Throws when the bus closed the connection. */
  private fill(deadline: number): boolean {
    const wait = Math.max(0, deadline - Date.now());
    const [rev] = sys().poll([this.fd], POLLIN, wait);
    if (!rev) return false;
    const chunk = new Uint8Array(65536);
    const n = sys().read(this.fd, chunk, 0, chunk.length, -1);
    if (n === 0) throw new Error('the D-Bus connection was closed by the bus');
    const next = new Uint8Array(this.inbuf.length + n);
    next.set(this.inbuf);
    next.set(chunk.subarray(0, n), this.inbuf.length);
    this.inbuf = next;
    return true;
  }

  private auth(timeoutMs: number): void {
    const uid = process.geteuid?.() ?? 0;
    const hex = Buffer.from(String(uid)).toString('hex');
    // The leading NUL byte is the credentials byte; the bus reads our uid from SO_PEERCRED.
    this.send(new TextEncoder().encode(`\0AUTH EXTERNAL ${hex}\r\n`));
    const deadline = Date.now() + timeoutMs;
    let line = '';
    for (;;) {
      const nl = this.inbuf.indexOf(0x0a);
      if (nl >= 0) {
        line = new TextDecoder().decode(this.inbuf.subarray(0, nl)).replace(/\r$/, '');
        this.inbuf = this.inbuf.slice(nl + 1);
        break;
      }
      if (!this.fill(deadline)) throw new Error('D-Bus authentication timed out');
    }
    if (!line.startsWith('OK ')) throw new Error(`D-Bus authentication (EXTERNAL, uid ${uid}) refused: ${line}`);
    this.send(new TextEncoder().encode('BEGIN\r\n'));
  }

  /** The next message from the bus, or undefined at the deadline. */
  private next(deadline: number): Message | undefined {
    for (;;) {
      const total = messageLength(this.inbuf);
      if (total !== undefined && this.inbuf.length >= total) {
        const m = decodeMessage(this.inbuf.slice(0, total));
        this.inbuf = this.inbuf.slice(total);
        return m;
      }
      if (!this.fill(deadline)) return undefined;
    }
  }

  /** Calls a method and returns the reply's body; an error reply throws DBusError. */
  call(o: CallOptions): unknown[] {
    const serial = ++this.serial;
    this.send(encodeMessage({ type: MessageType.MethodCall, flags: 0, serial, destination: o.destination, path: o.path, interface: o.interface, member: o.member, signature: o.signature ?? '', body: o.body ?? [] }));
    const deadline = Date.now() + (o.timeoutMs ?? 25_000);
    for (;;) {
      const m = this.next(deadline);
      if (!m) throw new Error(`D-Bus call ${o.interface}.${o.member} timed out after ${o.timeoutMs ?? 25_000} ms`);
      if (m.replySerial === serial && m.type === MessageType.MethodReturn) return m.body;
      if (m.replySerial === serial && m.type === MessageType.Error) throw new DBusError(m.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof m.body[0] === 'string' ? m.body[0] : '');
      if (m.type === MessageType.Signal) this.keep(m);
    }
  }

  /** Queues a signal for a later waitSignal; the oldest go first (a short-lived client matches few). */
  private keep(m: Message): void {
    this.pending.push(m);
    if (this.pending.length > 256) this.pending.shift();
  }

  /** Asks the bus to route signals matching rule to us (AddMatch). */
  addMatch(rule: string): void {
    this.call({ ...BUS, member: 'AddMatch', signature: 's', body: [rule] });
  }

  /** The first signal (already received or to come) that `want` accepts, or undefined at the timeout. */
  waitSignal(want: (m: Message) => boolean, timeoutMs: number): Message | undefined {
    const i = this.pending.findIndex(want);
    if (i >= 0) return this.pending.splice(i, 1)[0];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.next(deadline);
      if (!m) return undefined;
      if (m.type !== MessageType.Signal) continue;
      if (want(m)) return m;
      this.keep(m);
    }
  }
}
