// Wake-ups on cgroup v2 event files: the kernel notifies (inotify IN_MODIFY) when memory.events or
// cgroup.events change, as runc's OOM notifier relies on (libcontainer/notify_v2_linux.go). node:fs
// watch() is inotify on Linux under Node and Bun; a file that cannot be watched just adds no wake-up,
// and callers keep a timeout, so a missed notification only delays the next check.
import { createRequire } from 'node:module';

type Watcher = { close(): void; on(ev: 'error', fn: () => void): unknown };
type Watch = (path: string, opts: { persistent: boolean }, fn: () => void) => Watcher;

export class FileWaker {
  private readonly watchers: Watcher[] = [];
  private pending = false;
  private wake?: () => void;

  constructor(files: string[]) {
    // A runtime require: `events` is the only command that needs it (and under Bun node:fs costs ms).
    const watch = (createRequire(__filename)('node:fs') as { watch: Watch }).watch;
    for (const f of files) {
      try {
        const w = watch(f, { persistent: true }, () => this.poke());
        // The file vanishing (rmdir of the cgroup) is a change worth a look too.
        w.on('error', () => this.poke());
        this.watchers.push(w);
      } catch {
        // Not there (no memory controller) or not watchable: the caller's timeout covers it.
      }
    }
  }

  /** How many files are watched (0: the caller polls). */
  get watching(): number {
    return this.watchers.length;
  }

  private poke(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Resolves at the next change (or one that came since the last wait), or after ms. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wake = done;
    });
  }

  close(): void {
    for (const w of this.watchers.splice(0)) try { w.close(); } catch {}
    this.wake?.();
  }
}
