// FileWaker (src/cgroups/watch.ts): wakes on a change of a watched file, remembers one that came
// between waits, times out otherwise. On cgroupfs the kernel sends the same modify events (the v2
// guest pass's cgroups and resources suites check events' OOM latency there).
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileWaker } from '../../src/cgroups/watch.js';

const dir = mkdtempSync(join(tmpdir(), 'tsrun-watch-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileWaker', () => {
  it('wakes on a write, keeps a change made between waits, and times out without one', async () => {
    const f = join(dir, 'memory.events');
    writeFileSync(f, 'oom_kill 0\n');
    const w = new FileWaker([f, join(dir, 'missing')]);
    try {
      expect(w.watching).toBe(1);
      let t0 = Date.now();
      setTimeout(() => appendFileSync(f, 'oom_kill 1\n'), 50);
      await w.wait(5000);
      expect(Date.now() - t0).toBeLessThan(2000);
      appendFileSync(f, 'x\n');
      await new Promise((r) => setTimeout(r, 100));
      t0 = Date.now();
      await w.wait(5000); // the change came before this wait
      expect(Date.now() - t0).toBeLessThan(50);
      t0 = Date.now();
      await w.wait(100);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    } finally {
      w.close();
    }
  });
});
