// The terminal proxy of a foreground `run` whose process wants a terminal and no client gave a
// console socket: tsrun listens on a private socket, receives the pty master like a client would,
// and connects the user's terminal to it (raw mode, window size, both directions).
import { closeSync, mkdtempSync, readSync, rmSync, writeSync } from '../sys/fs.js';
import { tmpdir } from 'node:os';
import { join } from '../sys/path.js';
import { createRequire } from 'node:module';
import { sys } from '../sys/index.js';

export interface ConsoleListener {
  path: string;
  /** Receives the pty master sent by the container's init (after create). */
  receive(): number;
  close(): void;
}

export function listenConsole(): ConsoleListener {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-console-'));
  const path = join(dir, 'console.sock');
  const fd = sys().listenUnix(path);
  return {
    path,
    receive: () => sys().recvFd(fd, 10_000).fd,
    close: () => {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Connects stdin/stdout to the pty master until stop() is called (and has resolved). */
export function proxyTerminal(master: number): { stop(): Promise<void> } {
  // node:tty costs ~10 ms to load: only a proxied terminal pays for it.
  const tty = createRequire(__filename)('node:tty') as typeof import('node:tty');
  const stdin = process.stdin;
  const stdout = process.stdout;
  const resize = () => {
    if (stdout.isTTY) try { sys().setWinsize(master, stdout.rows, stdout.columns); } catch {}
  };
  resize();
  let saved: Uint8Array | undefined;
  if (stdin.isTTY) try { saved = sys().makeRaw(0); } catch {}
  // Each stream closes its own fd: the reader closes its one at EIO (autoDestroy) while the writer may
  // still be open, and drain() below reads the master itself.
  const input = new tty.ReadStream(sys().dupCloexec(master));
  const output = new tty.WriteStream(sys().dupCloexec(master));
  // Keys typed after the container has gone have nowhere to go (EIO, EBADF): not a crash.
  output.on('error', () => {});
  input.on('data', (d) => stdout.write(d));
  // EIO once the container side has closed: everything it wrote has been read by then.
  const ended = new Promise<void>((resolve) => {
    input.on('error', () => resolve());
    input.on('end', () => resolve());
    input.on('close', () => resolve());
  });
  stdin.on('data', (d) => output.write(d));
  stdout.on('resize', resize);
  return {
    async stop() {
      // The container has exited: let the stream read to the end (its EIO), briefly bounded in case
      // something else still holds the pty's other side, then pass on anything left unread.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([ended, new Promise<void>((r) => { timer = setTimeout(r, 250); })]);
      clearTimeout(timer);
      input.pause();
      drain(master);
      stdout.off('resize', resize);
      if (saved) try { sys().restoreTermios(0, saved); } catch {}
      stdin.pause();
      input.destroy();
      output.destroy();
      closeSync(master);
    },
  };
}

function drain(master: number): void {
  const buf = Buffer.alloc(65536);
  for (;;) {
    const [ev] = sys().poll([master], 1, 0);
    if (!(ev & 1)) return;
    let n: number;
    try {
      n = readSync(master, buf);
    } catch {
      return; // EIO: the other side is gone and nothing is left
    }
    if (n <= 0) return;
    writeSync(1, buf.subarray(0, n));
  }
}
