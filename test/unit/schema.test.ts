import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSpec, rootlessSpec } from '../../src/config/default-spec.js';
import { parseLossless } from '../../src/config/json.js';
import { dottedPath, validate, validationErrors } from '../../src/config/validate.js';
import { FIXTURE_CONFIGS, ROOT, runcSpec, skipReason, which } from '../helpers/env.js';

type Case = { name: string; patch: Record<string, unknown>; path: string; keyword: string };

function merge(base: any, patch: any): any {
  if (patch === null) return undefined;
  if (typeof patch !== 'object' || Array.isArray(patch) || typeof base !== 'object' || base === null || Array.isArray(base)) return structuredClone(patch);
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const m = merge(base[k], v);
    if (m === undefined) delete out[k];
    else out[k] = m;
  }
  return out;
}

const fixtures = readdirSync(FIXTURE_CONFIGS).filter((f) => f.endsWith('.json'));
const load = (f: string) => parseLossless(readFileSync(join(FIXTURE_CONFIGS, f), 'utf8'));

describe('schemas accept what real clients send', () => {
  const configs = fixtures.filter((f) => !f.includes('-process') && !f.includes('-stdin'));
  it.each(configs)('config %s', (f) => expect(validationErrors('config', load(f))).toEqual([]));
  it.each(fixtures.filter((f) => f.includes('-process')))('exec process %s', (f) => expect(validationErrors('process', load(f))).toEqual([]));
  it.each(fixtures.filter((f) => f.includes('-stdin')))('update resources %s', (f) => expect(validationErrors('resources', load(f))).toEqual([]));

  it('accepts the config tsrun spec writes, plain and rootless', () => {
    expect(validationErrors('config', defaultSpec())).toEqual([]);
    expect(validationErrors('config', rootlessSpec(1000, 1000))).toEqual([]);
  });

  it.skipIf(skipReason(which('runc') ? undefined : 'runc is not installed: cannot check the config runc spec writes'))('accepts the config runc spec writes, plain and rootless', () => {
    for (const rootless of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'tsrun-spec-'));
      try {
        runcSpec(dir, rootless);
        expect(validationErrors('config', JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')))).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true });
      }
    }
  });

  it('validates 64-bit values beyond 2^53 without losing them', () => {
    const text = JSON.stringify(defaultSpec()).replace('"linux":{', '"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]},');
    const cfg = parseLossless(text) as any;
    expect(cfg.linux.seccomp.syscalls[0].args[0].value).toBe(18446744073709551615n);
    expect(validationErrors('config', cfg)).toEqual([]);
  });
});

describe('schemas reject broken configs, naming the path', () => {
  const cases = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/schema/bad.json'), 'utf8')) as Case[];
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const cfg = merge(defaultSpec(), c.patch);
    const errs = validationErrors('config', cfg);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0].keyword).toBe(c.keyword);
    expect(dottedPath(errs[0].instancePath)).toBe(c.path);
    expect(() => validate('config', cfg, 'config.json')).toThrow(c.path ? `config.json: ${c.path}` : 'config.json: ');
  });

  it('writes the message the issue asks for', () => {
    const cfg = defaultSpec() as any;
    cfg.linux.namespaces[2].type = 'netwrk';
    expect(() => validate('config', cfg, 'config.json')).toThrow('config.json: linux.namespaces[2].type must be one of cgroup, ipc, mount, network, pid, time, user, uts (got "netwrk")');
  });
});
