// The built CLI (bin/tsrun), driven as a user or a client would.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.js';
import { validationErrors } from '../../src/config/validate.js';
import { tsrun } from '../helpers/env.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tsrun-cli-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tsrun CLI', () => {
  it('spec writes a valid config.json once, then refuses to overwrite it', () => {
    expect(tsrun(['spec', '--bundle', dir]).code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(validationErrors('config', cfg)).toEqual([]);
    expect(cfg.process.args).toEqual(['sh']);
    const again = tsrun(['spec', '-b', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/config.json exists. Remove it first/);
  });

  it('spec --rootless maps the caller in a user namespace', () => {
    expect(tsrun(['spec', '--rootless'], { cwd: dir }).code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.linux.namespaces.map((n: { type: string }) => n.type)).toContain('user');
    expect(cfg.linux.uidMappings[0].hostID).toBe(process.getuid!());
  });

  it('features prints a valid features document', () => {
    const r = tsrun(['features']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validationErrors('features', doc)).toEqual([]);
    expect(doc.ociVersionMax).toBe('1.3.0');
  });

  it('list prints the table header, null as JSON, nothing with -q, on an empty root', () => {
    const root = join(dir, 'root');
    expect(tsrun(['--root', root, 'list']).stdout).toBe('ID          PID         STATUS      BUNDLE      CREATED     OWNER\n');
    expect(tsrun(['--root', root, 'list', '--format', 'json']).stdout).toBe('null\n');
    expect(tsrun(['--root', root, 'list', '-q']).stdout).toBe('');
    expect(tsrun(['--root', root, 'list', '--format', 'yaml']).code).toBe(1);
  });

  it('state of an unknown container exits 1 with runc\'s words', () => {
    const r = tsrun(['--root', join(dir, 'root'), 'state', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('container "nope" does not exist\n');
    expect(r.stdout).toBe('');
  });

  it('writes errors as JSON lines to --log with --log-format json, and one plain line to stderr', () => {
    const log = join(dir, 'log.json');
    const r = tsrun(['--root', join(dir, 'root'), '--log', log, '--log-format', 'json', 'state', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('container "nope" does not exist\n');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', msg: 'container "nope" does not exist' });
    expect(JSON.parse(lines[0]).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('--version starts with "tsrun version" and names the spec', () => {
    const r = tsrun(['--version']);
    expect(r.stdout.split('\n')[0]).toMatch(/^tsrun version \d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/^spec: 1\.3\.0$/m);
  });

  it('--help lists every command; <cmd> --help shows its flags', () => {
    const r = tsrun(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands.filter((c) => !c.hidden)) expect(r.stdout).toContain(c.name);
    const create = tsrun(['create', '--help']);
    expect(create.code).toBe(0);
    for (const f of ['--bundle', '--pid-file', '--console-socket', '--no-pivot', '--preserve-fds']) expect(create.stdout).toContain(f);
  });

  it('fails on unknown flags with a usage message', () => {
    const r = tsrun(['state', '--bogus', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/flag provided but not defined: --bogus/);
    expect(r.stderr).toMatch(/usage: tsrun state --help/);
  });

  it('runs with an empty environment (as Podman calls it)', () => {
    const r = tsrun(['--root', join(dir, 'root'), 'list', '-q'], { env: { PATH: '' } });
    expect(r.code).toBe(0);
    // As runc 1.1.5 (`runc --root /new list` makes /new, 0700): every command but spec and features
    // makes a missing state root.
    expect(statSync(join(dir, 'root')).mode & 0o777).toBe(0o700);
  });
});

describe('features tells the truth', () => {
  it('lists what the plan implements, and no cgroup or seccomp feature it does not do', async () => {
    const { featuresDocument } = await import('../../src/features/features.js');
    const f = featuresDocument();
    expect(f.hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    expect(f.linux!.namespaces).toHaveLength(8);
    expect(f.mountOptions).toContain('rro');
    expect(f.mountOptions).toContain('tmpcopyup');
    expect(f.linux!.apparmor!.enabled).toBe(true); // implemented (applied where the host has it)
    expect(f.linux!.selinux!.enabled).toBe(true);
  });
});

describe("the Node loader picks a command's group bundle", () => {
  const build = readFileSync(join(__dirname, '../../scripts/build.mjs'), 'utf8');
  it('skips the value of every global flag that takes one, and nothing else', async () => {
    const { globalFlags } = await import('../../src/cli/commands.js');
    const valued = JSON.parse(/^const valued = \$\{JSON\.stringify\((\[.*\])\)\};$/m.exec(build)![1].replace(/'/g, '"'));
    const expected = globalFlags.filter((f) => f.type !== 'bool').flatMap((f) => [`--${f.name}`, `-${f.name}`]);
    expect([...valued].sort()).toEqual(expected.sort());
  });
  it('maps every implemented command to the group that holds it (src/cli/main.ts)', () => {
    const main = readFileSync(join(__dirname, '../../src/cli/main.ts'), 'utf8');
    const groupOf = new Map([...main.matchAll(/^\s+(\w+): typeof __TSRUN_GROUP__ === 'undefined' \|\| __TSRUN_GROUP__ === '(\w+)'/gm)].map((m) => [m[1], m[2]]));
    expect(groupOf.size).toBeGreaterThan(10);
    expect(Object.fromEntries(groupOf)).toEqual(JSON.parse(/^const GROUP_OF = (\{.*\});$/m.exec(build)![1].replace(/(\w+):/g, '"$1":').replace(/'/g, '"')));
  });
  it('bin/tsrun holds no command table of its own: the single file or Node decides', () => {
    const launcher = readFileSync(join(__dirname, '../../bin/tsrun'), 'utf8');
    expect(launcher).not.toMatch(/\bstate\|list\b|bundle=/);
  });
});
