// Each hook runs at the point and in the namespace the runtime-spec gives, with the state on stdin.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hook } from '../../src/config/gen/config.js';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

/** A hook that appends "<kind> <mount ns> <state json>" to log (reading the state from stdin). */
const hook = (kind: string, log: string): Hook => ({ path: '/bin/sh', args: ['sh', '-c', `read -r s; echo "${kind} $(readlink /proc/self/ns/mnt) $s" >> ${log}`], env: ['PATH=/bin:/usr/bin'] });

describe.skipIf(skip)('hooks', () => {
  it('run in order, in the right namespaces, with the state on stdin', () => {
    const log = join(sb.dir, 'hooks.log');
    const b = sb.bundle('b', ['sh', '-c', 'echo started >> /tmp/inner.log'], (s) => {
      s.hooks = {
        prestart: [hook('prestart', log)],
        createRuntime: [hook('createRuntime', log)],
        createContainer: [hook('createContainer', log)],
        // startContainer runs inside the container, after pivot_root: it logs inside the rootfs.
        startContainer: [hook('startContainer', '/tmp/inner.log')],
        poststart: [hook('poststart', log)],
        poststop: [hook('poststop', log)],
      };
    });
    expect(sb.run(['create', '-b', b, 'h1']).stderr).toBe('');
    const hostMnt = readlinkSync('/proc/self/ns/mnt');
    const entries = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => {
      const [kind, ns, ...rest] = l.split(' ');
      return { kind, ns, state: JSON.parse(rest.join(' ')) };
    });
    let e = entries();
    expect(e.map((x) => x.kind)).toEqual(['prestart', 'createRuntime', 'createContainer']);
    expect(e[0].ns).toBe(hostMnt);
    expect(e[1].ns).toBe(hostMnt);
    expect(e[2].ns).not.toBe(hostMnt);
    for (const x of e) expect(x.state).toMatchObject({ id: 'h1', status: 'created', bundle: b });
    const pid = JSON.parse(sb.run(['state', 'h1']).stdout).pid;
    expect(e[0].state.pid).toBe(pid);
    expect(sb.run(['start', 'h1']).code).toBe(0);
    e = entries();
    expect(e.map((x) => x.kind)).toEqual(['prestart', 'createRuntime', 'createContainer', 'poststart']);
    expect(e[3].state.status).toBe('running');
    for (let i = 0; i < 200 && !readFileSync(join(b, 'rootfs/tmp/inner.log'), 'utf8').includes('started'); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    const inner = readFileSync(join(b, 'rootfs/tmp/inner.log'), 'utf8').trim().split('\n');
    expect(inner[0]).toMatch(/^startContainer mnt:\[\d+\] \{.*"status":"created"/);
    expect(inner[1]).toBe('started');
    for (let i = 0; i < 200 && JSON.parse(sb.run(['state', 'h1']).stdout).status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    expect(sb.run(['delete', 'h1']).code).toBe(0);
    e = entries();
    expect(e[4]).toMatchObject({ kind: 'poststop', ns: hostMnt });
    expect(e[4].state.status).toBe('stopped');
  });

  it('a hook that never reads its stdin is fine; a hook timeout kills it and fails create', () => {
    const b = sb.bundle('b', ['true'], (s) => {
      s.hooks = { prestart: [{ path: '/bin/true' }], createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] };
    });
    const r = sb.run(['create', '-b', b, 'h2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/createRuntime hook \/bin\/sleep timed out after 1s and was killed \(hooks.createRuntime\[0\]\)/);
    expect(existsSync(join(sb.root, 'h2'))).toBe(false);
  });

  it('a failing poststart hook fails start and kills the container; a failing poststop hook only warns', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => {
      s.hooks = { poststart: [{ path: '/bin/false' }], poststop: [{ path: '/bin/false' }] };
    });
    expect(sb.run(['create', '-b', b, 'h3']).code).toBe(0);
    const r = sb.run(['start', 'h3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/poststart hook \/bin\/false exited with status 1/);
    for (let i = 0; i < 200 && JSON.parse(sb.run(['state', 'h3']).stdout).status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    const d = sb.run(['delete', 'h3']);
    expect(d.code).toBe(0);
    expect(d.warnings).toMatch(/warning: delete h3: poststop hook \/bin\/false exited with status 1/);
  });
});
