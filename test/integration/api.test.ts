// The library API drives the same lifecycle as the CLI.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/api.js';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

describe.skipIf(skip)('library API', () => {
  it('create, state, start, kill, delete as typed async calls', async () => {
    const rt = new Runtime({ root: sb.root });
    const b = sb.bundle('b', ['sleep', '100']);
    const created = await rt.create('a1', b, { pidFile: join(sb.dir, 'pid') });
    expect(created).toMatchObject({ id: 'a1', status: 'created', bundle: b });
    expect(rt.plan('a2', b).steps.length).toBeGreaterThan(10);
    await rt.start('a1');
    expect((await rt.state('a1')).status).toBe('running');
    expect((await rt.list()).map((s) => s.id)).toEqual(['a1']);
    await rt.kill('a1', 'KILL');
    await rt.delete('a1', { force: true });
    await expect(rt.state('a1')).rejects.toThrow('container "a1" does not exist');
  });
});
