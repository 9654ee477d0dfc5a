// runtime-spec v1.3.0 runtime.md and runtime-linux.md: the lifecycle, the operations, their errors
// and the state document. Each test quotes the sentence it checks; COVERAGE.md lists them all.
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, alive, rmCgroup, cgroupDirsOf, created, initProcesses, nsOf, nsenter, runIn, skip, sleepMs, stateOf, waitStatus, waitUntil } from './helpers.js';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

// runtime-spec v1.3.0 schema/state-schema.json with its two defs.json references inlined
// (ociVersion: a string; annotations: string values under non-empty keys). draft-04 and
// draft-07 agree on everything this schema uses.
const STATE_SCHEMA = {
  type: 'object',
  properties: {
    ociVersion: { type: 'string' },
    id: { type: 'string' },
    status: { type: 'string', enum: ['creating', 'created', 'running', 'stopped'] },
    pid: { type: 'integer', minimum: 0 },
    bundle: { type: 'string' },
    annotations: { type: 'object', patternProperties: { '.{1,}': { type: 'string' } }, additionalProperties: false },
  },
  required: ['ociVersion', 'id', 'status', 'bundle'],
};
const validateState = new Ajv({ strict: false }).compile(STATE_SCHEMA);

const LOOP = 'echo up > /tmp/up; while true; do sleep 0.05; done';
/** A detached running container; returns its bundle and pid once the program is running. */
function running(id: string, edit?: Parameters<Sandbox['bundle']>[2], script = LOOP): { b: string; pid: number } {
  const b = sb.bundle(`b-${id}`, ['sh', '-c', script], edit);
  const r = sb.run(['run', '-d', '-b', b, id]);
  expect(r.stderr).toBe('');
  expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/up')))).toBe(true);
  return { b, pid: stateOf(sb, id).pid };
}
function stopped(id: string): string {
  const b = sb.bundle(`b-${id}`, ['true']);
  expect(sb.run(['run', '--keep', '-b', b, id]).code).toBe(0);
  expect(stateOf(sb, id).status).toBe('stopped');
  return b;
}

describe.skipIf(skip)('runtime.md: scope and operations', () => {
  it('runtime.md: "The entity using a runtime to create a container MUST be able to use the operations defined in this specification against that same container." / "Unless otherwise stated, runtimes MUST support the following operations."', () => {
    const b = sb.bundle('b', ['sh', '-c', LOOP]);
    expect(sb.run(['create', '-b', b, 'scope']).code).toBe(0);
    expect(stateOf(sb, 'scope').status).toBe('created');
    expect(sb.run(['start', 'scope']).code).toBe(0);
    expect(waitStatus(sb, 'scope', 'running')).toBe('running');
    expect(sb.run(['kill', 'scope', 'KILL']).code).toBe(0);
    expect(waitStatus(sb, 'scope', 'stopped')).toBe('stopped');
    expect(sb.run(['delete', 'scope']).code).toBe(0);
    expect(stateOf(sb, 'scope')).toBeUndefined();
  });
});

describe.skipIf(skip)('runtime.md: state', () => {
  it('runtime.md: "This operation MUST return the state of a container as specified in the State section." / "When serialized in JSON, the format MUST adhere to the JSON Schema schema/state-schema.json."', () => {
    const b = sb.bundle('b', ['sh', '-c', LOOP], (s) => (s.annotations = { 'com.example.k': 'v' }));
    const check = (status: string) => {
      const st = stateOf(sb, 'st');
      expect(validateState(st), JSON.stringify(validateState.errors)).toBe(true);
      expect(st).toMatchObject({ ociVersion: '1.3.0', id: 'st', status, bundle: b, annotations: { 'com.example.k': 'v' } });
      return st;
    };
    created(sb, b, 'st');
    // "pid (int, REQUIRED when status is created or running on Linux) is the ID of the container process."
    const pid = check('created').pid;
    expect(pid).toBeGreaterThan(1);
    expect(nsOf(pid, 'pid')).not.toBe(nsOf('self', 'pid'));
    expect(sb.run(['start', 'st']).code).toBe(0);
    expect(waitStatus(sb, 'st', 'running')).toBe('running');
    expect(check('running').pid).toBe(pid);
    expect(sb.run(['kill', 'st', 'KILL']).code).toBe(0);
    expect(waitStatus(sb, 'st', 'stopped')).toBe('stopped');
    check('stopped');
  });

  it('runtime.md: "bundle (string, REQUIRED) is the absolute path to the container\'s bundle directory." (given a relative --bundle)', () => {
    sb.bundle('rel', ['true']);
    const r = sb.run(['create', '-b', `${sb.dir}/./rel/../rel`, 'bn']);
    expect(r.code, r.stderr).toBe(0);
    expect(stateOf(sb, 'bn').bundle).toBe(join(sb.dir, 'rel'));
  });

  it('runtime.md: "id ... This MUST be unique across all containers on this host." (within one --root, the scope tsrun keeps)', () => {
    const b = sb.bundle('b', ['sleep', '100']);
    const pid = created(sb, b, 'u1');
    expect(sb.run(['create', '-b', b, 'u1']).code).not.toBe(0);
    expect(stateOf(sb, 'u1')).toMatchObject({ status: 'created', pid });
  });

  it('runtime.md: "Additional values MAY be defined by the runtime, however, they MUST be used to represent new runtime states not defined above." (paused)', () => {
    const { pid } = running('pz');
    expect(sb.run(['pause', 'pz']).code).toBe(0);
    const st = stateOf(sb, 'pz').status;
    // A status outside the four is only used for a state none of them describes: a frozen process.
    expect(st).toBe('paused');
    const freezer = cgroupDirsOf(pid).find((d) => d.includes('/freezer/'))!;
    expect(readFileSync(join(freezer, 'freezer.state'), 'utf8').trim()).toBe('FROZEN');
    expect(sb.run(['resume', 'pz']).code).toBe(0);
    expect(stateOf(sb, 'pz').status).toBe('running');
  });

  it('runtime.md: "This operation MUST generate an error if it is not provided the ID of a container." (state)', () => {
    expect(sb.run(['state']).code).not.toBe(0);
  });

  it('runtime.md: "Attempting to query a container that does not exist MUST generate an error."', () => {
    const r = sb.run(['state', 'nosuch']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe.skipIf(skip)('runtime.md: lifecycle', () => {
  it('runtime.md: "The container\'s runtime environment MUST be created according to the configuration in config.json." / create: "All of the properties configured in config.json except for process MUST be applied."', () => {
    const b = sb.bundle('b', ['true'], (s) => {
      s.hostname = 'env-made';
      s.mounts!.push({ destination: '/cfg-mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] });
      s.linux!.resources = { pids: { limit: 42 } };
      s.linux!.sysctl = { 'kernel.msgmax': '4242' };
    });
    const pid = created(sb, b, 'env');
    for (const t of ['uts', 'mnt', 'pid', 'net', 'ipc']) expect(nsOf(pid, t), t).not.toBe(nsOf('self', t));
    expect(nsenter(pid, ['-u'], ['hostname']).trim()).toBe('env-made');
    expect(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).toMatch(/ \/cfg-mnt rw.* - tmpfs /);
    expect(nsenter(pid, ['-i'], ['cat', '/proc/sys/kernel/msgmax']).trim()).toBe('4242');
    const pids = cgroupDirsOf(pid).find((d) => d.includes('/pids/'))!;
    expect(readFileSync(join(pids, 'pids.max'), 'utf8').trim()).toBe('42');
  });

  it('runtime.md: "If the runtime is unable to create the environment specified in the config.json, it MUST generate an error."', () => {
    const b = sb.bundle('b', ['true'], (s) => s.mounts!.push({ destination: '/bad', type: 'nosuchfs', source: 'x' }));
    const r = sb.run(['create', '-b', b, 'bad']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toBe('');
  });

  it('runtime.md: "the user-specified program (from process) MUST NOT be run at this time." / create: "process.args MUST NOT be applied until triggered by the start operation."', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo ran > /tmp/marker']);
    const pid = created(sb, b, 'np');
    sleepMs(200);
    expect(existsSync(join(b, 'rootfs/tmp/marker'))).toBe(false);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('/tmp/marker');
    expect(sb.run(['start', 'np']).code).toBe(0);
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/marker')))).toBe(true);
  });

  it('runtime.md: "Any updates to config.json after this step MUST NOT affect the container."', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo "$(hostname) original" > /tmp/out'], (s) => (s.hostname = 'before'));
    created(sb, b, 'upd');
    const cfg = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
    cfg.process.args = ['sh', '-c', 'echo "$(hostname) changed" > /tmp/out'];
    cfg.hostname = 'after';
    writeFileSync(join(b, 'config.json'), JSON.stringify(cfg));
    expect(sb.run(['start', 'upd']).code).toBe(0);
    // The shell makes the file before it writes the line: wait for the whole line.
    const out = join(b, 'rootfs/tmp/out');
    expect(waitUntil(() => existsSync(out) && readFileSync(out, 'utf8').endsWith('\n'))).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('before original\n');
  });

  for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
    it(`runtime.md: "The ${kind} hooks MUST be invoked by the runtime. If any ${kind} hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12."`, () => {
      const log = join(sb.dir, 'ran.log');
      const b = sb.bundle('b', ['sh', '-c', 'echo ran > /tmp/marker'], (s) => {
        s.hooks = { [kind]: [{ path: '/bin/sh', args: ['sh', '-c', `echo ${kind} >> ${log}`] }, { path: '/bin/false' }] };
      });
      const before = initProcesses(sb.dir);
      const r = sb.run(['create', '-b', b, 'hk']);
      expect(r.code).not.toBe(0);
      expect(readFileSync(log, 'utf8')).toBe(`${kind}\n`);
      // Stopped and destroyed (step 12): no container, no process, the program never ran.
      expect(stateOf(sb, 'hk')).toBeUndefined();
      expect(initProcesses(sb.dir).filter((p) => !before.includes(p))).toEqual([]);
      expect(existsSync(join(b, 'rootfs/tmp/marker'))).toBe(false);
    });
  }

  // The lifecycle continues at step 12 after a failed create-time hook, and step 13 follows it.
  for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
    it(`runtime.md: "The poststop hooks MUST be invoked by the runtime." (step 13, after a failing ${kind} hook sent the lifecycle to step 12)`, () => {
      const log = join(sb.dir, 'poststop.log');
      const b = sb.bundle('b', ['true'], (s) => {
        s.hooks = { [kind]: [{ path: '/bin/false' }], poststop: [{ path: '/bin/sh', args: ['sh', '-c', `echo poststop >> ${log}`] }] };
      });
      expect(sb.run(['create', '-b', b, 'ps']).code).not.toBe(0);
      expect(existsSync(log) && readFileSync(log, 'utf8')).toBe('poststop\n');
    });
  }

  it('runtime.md: "The startContainer hooks MUST be invoked by the runtime. If any startContainer hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12."', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo ran > /tmp/marker; sleep 100'], (s) => (s.hooks = { startContainer: [{ path: '/bin/false' }] }));
    created(sb, b, 'sc');
    const r = sb.run(['start', 'sc']);
    sleepMs(200);
    expect(existsSync(join(b, 'rootfs/tmp/marker'))).toBe(false);
    expect(stateOf(sb, 'sc')?.status ?? 'stopped').toBe('stopped');
    expect(r.code).not.toBe(0);
  });

  it('runtime.md: "The runtime MUST run the user-specified program, as specified by process." / start: "This operation MUST run the user-specified program as specified by process."', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo "$0 $1" > /tmp/marker', 'arg0', 'arg1']);
    created(sb, b, 'run');
    expect(sb.run(['start', 'run']).code).toBe(0);
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/marker')))).toBe(true);
    expect(readFileSync(join(b, 'rootfs/tmp/marker'), 'utf8')).toBe('arg0 arg1\n');
  });

  it('runtime.md: "The poststart hooks MUST be invoked by the runtime. If any poststart hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12."', () => {
    const log = join(sb.dir, 'ran.log');
    const b = sb.bundle('b', ['sleep', '100'], (s) => (s.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `echo poststart >> ${log}`] }, { path: '/bin/false' }] }));
    const pid = created(sb, b, 'pst');
    const r = sb.run(['start', 'pst']);
    expect(r.code).not.toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('poststart\n');
    expect(waitUntil(() => !alive(pid))).toBe(true);
    expect(stateOf(sb, 'pst')?.status ?? 'stopped').toBe('stopped');
  });

  it('runtime.md: "The container MUST be destroyed by undoing the steps performed during create phase (step 2)."', () => {
    const b = sb.bundle('b', ['true'], (s) => s.mounts!.push({ destination: '/m', type: 'tmpfs', source: 'tmpfs' }));
    const pid = created(sb, b, 'ds');
    const cgroups = cgroupDirsOf(pid);
    expect(cgroups.some((d) => d.includes('/ds'))).toBe(true);
    expect(sb.run(['start', 'ds']).code).toBe(0);
    expect(waitStatus(sb, 'ds', 'stopped')).toBe('stopped');
    expect(sb.run(['delete', 'ds']).code).toBe(0);
    expect(alive(pid)).toBe(false);
    for (const d of cgroups.filter((x) => x.includes('/ds'))) expect(existsSync(d), d).toBe(false);
    expect(existsSync(join(sb.root, 'ds'))).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.dir);
  });

  it('runtime.md: "The poststop hooks MUST be invoked by the runtime. If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded."', () => {
    const log = join(sb.dir, 'ran.log');
    const b = sb.bundle('b', ['true'], (s) => (s.hooks = { poststop: [{ path: '/bin/false' }, { path: '/bin/sh', args: ['sh', '-c', `echo second >> ${log}`] }] }));
    expect(sb.run(['run', '--keep', '-b', b, 'pso']).code).toBe(0);
    const r = sb.run(['delete', 'pso']);
    expect(r.code).toBe(0);
    expect(r.warnings).toMatch(/poststop/);
    expect(readFileSync(log, 'utf8')).toBe('second\n');
    expect(stateOf(sb, 'pso')).toBeUndefined();
  });
});

describe.skipIf(skip)('runtime.md: errors and warnings', () => {
  it('runtime.md: "Unless otherwise stated, generating an error MUST leave the state of the environment as if the operation were never attempted - modulo any possible trivial ancillary changes such as logging."', () => {
    // Everything before the last mount is made (namespaces, cgroup, earlier mounts); then it fails.
    const b = sb.bundle('b', ['true'], (s) => {
      s.mounts!.push({ destination: '/ok', type: 'tmpfs', source: 'tmpfs' }, { destination: '/bad', type: 'nosuchfs', source: 'x' });
      s.linux!.cgroupsPath = '/tsrun-conformance/undo';
    });
    const before = initProcesses(sb.dir);
    expect(sb.run(['create', '-b', b, 'undo']).code).not.toBe(0);
    expect(existsSync(sb.root) ? readdirSync(sb.root) : []).toEqual([]);
    expect(initProcesses(sb.dir).filter((p) => !before.includes(p))).toEqual([]);
    expect(existsSync('/sys/fs/cgroup/pids/tsrun-conformance/undo')).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.dir);
    rmCgroup('tsrun-conformance/undo');
  });

  it('runtime.md: "Unless otherwise stated, logging a warning does not change the flow of the operation; it MUST continue as if the warning had not been logged."', () => {
    const log = join(sb.dir, 'ran.log');
    const b = sb.bundle('b', ['sh', '-c', 'echo ran > /tmp/marker'], (s) => (s.hooks = { poststop: [{ path: '/bin/false' }, { path: '/bin/sh', args: ['sh', '-c', `echo after >> ${log}`] }] }));
    expect(sb.run(['run', '-b', b, 'warn']).code).toBe(0); // run = create, start, wait, delete
    expect(readFileSync(join(b, 'rootfs/tmp/marker'), 'utf8')).toBe('ran\n');
    expect(readFileSync(log, 'utf8')).toBe('after\n');
    expect(stateOf(sb, 'warn')).toBeUndefined();
  });
});

describe.skipIf(skip)('runtime.md: create', () => {
  it('runtime.md: "This operation MUST generate an error if it is not provided a path to the bundle and the container ID to associate with the container."', () => {
    const b = sb.bundle('b', ['true']);
    expect(sb.run(['create', '-b', b]).code).not.toBe(0);
    expect(sb.run(['create', '-b', join(sb.dir, 'no-such-bundle'), 'nb']).code).not.toBe(0);
    expect(existsSync(sb.root) ? readdirSync(sb.root) : []).toEqual([]);
  });

  it('runtime.md: "If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created." (not unique)', () => {
    const b = sb.bundle('b', ['sleep', '100']);
    const b2 = sb.bundle('b2', ['sleep', '100']);
    const pid = created(sb, b, 'dup');
    const before = initProcesses(sb.dir);
    const r = sb.run(['create', '-b', b2, 'dup']);
    expect(r.code).not.toBe(0);
    expect(initProcesses(sb.dir)).toEqual(before);
    expect(stateOf(sb, 'dup')).toMatchObject({ pid, bundle: b, status: 'created' });
  });

  it('runtime.md: "If the ID provided is not unique ..., or is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created." (invalid ids)', () => {
    const b = sb.bundle('b', ['true']);
    for (const id of ['../escape', 'a/b', '', '.']) {
      const r = sb.run(['create', '-b', b, id]);
      expect(r.code, id).not.toBe(0);
    }
    expect(existsSync(sb.root) ? readdirSync(sb.root) : []).toEqual([]);
    expect(existsSync(join(sb.dir, 'escape'))).toBe(false);
  });

  it('runtime.md: "This operation MUST create a new container."', () => {
    const b = sb.bundle('b', ['true']);
    const pid = created(sb, b, 'new');
    expect(stateOf(sb, 'new')).toMatchObject({ id: 'new', status: 'created' });
    expect(alive(pid)).toBe(true);
  });

  it('runtime.md: "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created."', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/self/ns/no-such-ns' } : n))));
    const before = initProcesses(sb.dir);
    expect(sb.run(['create', '-b', b, 'cant']).code).not.toBe(0);
    expect(stateOf(sb, 'cant')).toBeUndefined();
    expect(initProcesses(sb.dir)).toEqual(before);
  });
});

describe.skipIf(skip)('runtime.md: start', () => {
  it('runtime.md: "This operation MUST generate an error if it is not provided the container ID." (start)', () => {
    expect(sb.run(['start']).code).not.toBe(0);
  });

  it('runtime.md: "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error." (running)', () => {
    const { b, pid } = running('sr');
    rmSync(join(b, 'rootfs/tmp/up'));
    expect(sb.run(['start', 'sr']).code).not.toBe(0);
    sleepMs(200);
    expect(existsSync(join(b, 'rootfs/tmp/up'))).toBe(false); // the program was not run again
    expect(stateOf(sb, 'sr')).toMatchObject({ status: 'running', pid });
  });

  it('runtime.md: "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error." (stopped)', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo x >> /tmp/count']);
    expect(sb.run(['run', '--keep', '-b', b, 'ss']).code).toBe(0);
    expect(sb.run(['start', 'ss']).code).not.toBe(0);
    sleepMs(200);
    expect(readFileSync(join(b, 'rootfs/tmp/count'), 'utf8')).toBe('x\n');
    expect(stateOf(sb, 'ss').status).toBe('stopped');
  });

  it('runtime.md: "This operation MUST generate an error if process was not set." (tsrun refuses such a config already at create, so start can never run one)', () => {
    const b = sb.bundle('b', ['true'], (s) => delete s.process);
    const c = sb.run(['create', '-b', b, 'nop']);
    if (c.code === 0) expect(sb.run(['start', 'nop']).code).not.toBe(0);
    else expect(c.stderr).toMatch(/process/);
  });
});

describe.skipIf(skip)('runtime.md: kill', () => {
  it('runtime.md: "This operation MUST generate an error if it is not provided the container ID." (kill)', () => {
    expect(sb.run(['kill']).code).not.toBe(0);
  });

  it('runtime.md: "Attempting to send a signal to a container that is neither created nor running MUST have no effect on the container and MUST generate an error."', () => {
    stopped('ks');
    expect(sb.run(['kill', 'ks', 'KILL']).code).not.toBe(0);
    expect(stateOf(sb, 'ks').status).toBe('stopped');
    expect(sb.run(['delete', 'ks']).code).toBe(0);
  });

  it('runtime.md: "This operation MUST send the specified signal to the container process." (running)', () => {
    const { b } = running('kr', undefined, `trap "echo usr1 > /tmp/sig; exit 0" USR1; ${LOOP}`);
    expect(sb.run(['kill', 'kr', 'SIGUSR1']).code).toBe(0);
    // The trap makes the file before it writes the line: wait for the whole line.
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/sig')) && readFileSync(join(b, 'rootfs/tmp/sig'), 'utf8').endsWith('\n'))).toBe(true);
    expect(readFileSync(join(b, 'rootfs/tmp/sig'), 'utf8')).toBe('usr1\n');
  });

  it('runtime.md: "This operation MUST send the specified signal to the container process." (created)', () => {
    const b = sb.bundle('b', ['true']);
    const pid = created(sb, b, 'kc');
    expect(sb.run(['kill', 'kc', 'KILL']).code).toBe(0);
    expect(waitUntil(() => !alive(pid))).toBe(true);
    expect(waitStatus(sb, 'kc', 'stopped')).toBe('stopped');
  });
});

describe.skipIf(skip)('runtime.md: delete', () => {
  it('runtime.md: "This operation MUST generate an error if it is not provided the container ID." (delete)', () => {
    expect(sb.run(['delete']).code).not.toBe(0);
  });

  it('runtime.md: "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error." (running)', () => {
    const { pid } = running('dr');
    expect(sb.run(['delete', 'dr']).code).not.toBe(0);
    expect(stateOf(sb, 'dr')).toMatchObject({ status: 'running', pid });
    expect(alive(pid)).toBe(true);
  });

  it.fails('runtime.md: "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error." (created)', () => {
    const b = sb.bundle('b', ['true']);
    const pid = created(sb, b, 'dc');
    const r = sb.run(['delete', 'dc']);
    expect(stateOf(sb, 'dc')).toMatchObject({ status: 'created', pid });
    expect(r.code).not.toBe(0);
  });

  it('runtime.md: "Deleting a container MUST delete the resources that were created during the create step."', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.linux!.cgroupsPath = '/tsrun-conformance-del/c'));
    const pid = created(sb, b, 'dd');
    const dirs = cgroupDirsOf(pid).filter((d) => d.endsWith('/tsrun-conformance-del/c'));
    expect(dirs.length).toBeGreaterThan(0);
    expect(sb.run(['kill', 'dd', 'KILL']).code).toBe(0);
    expect(waitStatus(sb, 'dd', 'stopped')).toBe('stopped');
    expect(sb.run(['delete', 'dd']).code).toBe(0);
    expect(alive(pid)).toBe(false);
    for (const d of dirs) expect(existsSync(d), d).toBe(false);
    expect(existsSync(join(sb.root, 'dd'))).toBe(false);
    rmCgroup('tsrun-conformance-del/c');
  });

  it('runtime.md: "Note that resources associated with the container, but not created by this container, MUST NOT be deleted."', () => {
    // A bind-mounted host directory, a joined network namespace, and a pre-existing parent cgroup.
    const vol = join(sb.dir, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'keep'), 'data');
    const a = sb.bundle('a', ['sleep', '100']);
    const apid = created(sb, a, 'owner');
    const parent = '/sys/fs/cgroup/pids/tsrun-conformance-keep';
    mkdirSync(parent, { recursive: true });
    try {
      const b = sb.bundle('b', ['sh', '-c', 'echo more > /vol/other'], (s) => {
        s.mounts!.push({ destination: '/vol', type: 'bind', source: vol, options: ['rbind', 'rw'] });
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${apid}/ns/net` } : n));
        s.linux!.cgroupsPath = '/tsrun-conformance-keep/c';
      });
      expect(sb.run(['run', '-b', b, 'user']).code).toBe(0); // run deletes it at the end
      expect(stateOf(sb, 'user')).toBeUndefined();
      expect(readFileSync(join(vol, 'keep'), 'utf8')).toBe('data');
      expect(readFileSync(join(vol, 'other'), 'utf8')).toBe('more\n');
      expect(alive(apid)).toBe(true);
      expect(stateOf(sb, 'owner').status).toBe('created');
      expect(existsSync(parent)).toBe(true);
    } finally {
      sb.run(['delete', '--force', 'owner']);
      rmCgroup('tsrun-conformance-keep/c');
    }
  });
});

describe.skipIf(skip)('runtime-linux.md', () => {
  it('runtime-linux.md: "By default, only the stdin, stdout and stderr file descriptors are kept open for the application by the runtime."', () => {
    // The shell lists its own fds from a child ("; true" keeps sh from exec-ing ls in its place).
    const r = runIn(sb, 'fds', ['sh', '-c', 'ls /proc/$$/fd; true']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['0', '1', '2']);
  });

  it('runtime-linux.md: "While creating the container (step 2 in the lifecycle), runtimes MUST create the following symlinks if the source file exists after processing mounts: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr"', () => {
    const r = runIn(sb, 'links', ['sh', '-c', 'for l in fd stdin stdout stderr; do echo "$l $(readlink /dev/$l)"; done']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('fd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\nstderr /proc/self/fd/2\n');
    // Made at create, before start.
    const b = sb.bundle('b2', ['true']);
    const pid = created(sb, b, 'links2');
    expect(readlinkSync(`/proc/${pid}/root/dev/stdout`)).toBe('/proc/self/fd/1');
  });
});
