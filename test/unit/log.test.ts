import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEntry, Logger } from '../../src/io/log.js';
import { errnoText } from '../../src/sys/errno.js';
import { TsrunError } from '../../src/errors.js';

describe('log format (what containerd and Podman parse)', () => {
  it('writes logrus JSON lines with level, msg and an RFC 3339 time', () => {
    const line = formatEntry('error', 'boom "x"', 'json', new Date('2026-11-22T04:50:14.123Z'));
    expect(line).toBe('{"level":"error","msg":"boom \\"x\\"","time":"2026-11-22T04:50:14Z"}\n');
  });
  it('writes logrus text lines', () => {
    expect(formatEntry('warning', 'a b', 'text', new Date('2026-11-22T04:50:14Z'))).toBe('time="2026-11-22T04:50:14Z" level=warning msg="a b"\n');
  });
  it('appends to the log file, one object per line, debug only when asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrun-log-'));
    try {
      const file = join(dir, 'log.json');
      const l = new Logger({ file, format: 'json', debug: false });
      l.debug('hidden');
      l.warn('w');
      l.close();
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((x) => JSON.parse(x));
      expect(lines.map((x) => [x.level, x.msg])).toEqual([['warning', 'w']]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  it('uses Go/strerror wording that clients match on', () => {
    expect(errnoText(2)).toBe('no such file or directory');
    expect(errnoText(13)).toBe('permission denied');
    expect(errnoText(1)).toBe('operation not permitted');
  });
  it('formats errors as context: what (config path): errno; hint', () => {
    const e = new TsrunError({ what: 'mount "proc" on /proc', configPath: 'mounts[0]', errno: 1, hint: 'is the pid namespace new?' }).withContext('create c1');
    expect(e.message).toBe('create c1: mount "proc" on /proc (mounts[0]): operation not permitted; is the pid namespace new?');
  });
});
