// One differential run: the same variation of a base config, each runtime with its own bundle,
// --root, container id and cgroup, run with `run`; what the container printed (probe.ts), the hooks
// recorded, the exit status, the failure and what was left behind, normalised and compared.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../src/config/gen/config.js';
import { baseSpec, cloneRootfs, writeBundle, type BaseName } from './bundle.js';
import { diffSections, failureLines, runcMessages, tsrunMessages, type Difference } from './compare.js';
import { canonicalMountinfo, normalise, normaliseLs, probeScript, sections, sortDevicesList, stateLines, type Names, type Sections } from './probe.js';
import { PATH_ENV, Runtime, type CallResult } from './runtime.js';

/** What a variation's functions get: this runtime's paths and names. */
export interface Ctx {
  rt: Runtime;
  bundle: string;
  rootfs: string;
  id: string;
  hookOut: string;
  host: string;
  /** The run's cgroup parent for fixed cgroupsPaths (e.g. /dh-ab12); removed at the end. */
  cgroupParent: string;
  /** Namespace inodes of helper processes, labelled (e.g. 'joined'), for the ns section. */
  nsLabels: Map<string, string>;
  /** Things to undo after the run (helper processes, files). */
  cleanups: (() => void | Promise<void>)[];
}

export interface Variation {
  name: string;
  base?: BaseName;
  /** Changes the base config for this run (the spec is this runtime's; paths come from c). */
  edit?: (s: Spec, c: Ctx) => void | Promise<void>;
  /** The process to run instead of the probe. */
  args?: string[];
  /** Words both runtimes' errors must contain when the config fails (besides runc's errno phrase). */
  keywords?: string[];
  /** Words tsrun's error must contain instead of runc's errno phrase (tsrun refuses it up front). */
  names?: string[];
  /** Run the runtime under a pty (script(1)), for configs with a terminal. */
  tty?: boolean;
  /** Also runs with these extra `run` flags (e.g. --no-pivot). */
  runFlags?: string[];
  /** Extra sections read after the run (files the container or hooks wrote). */
  collect?: (c: Ctx) => Sections;
}

export interface RunOutcome {
  call: CallResult;
  sections: Sections;
  failed: boolean;
  errors: string[];
  names: Names;
}

/** The host's namespace inodes (the harness runs in them): a container sharing one sees "host". */
export function hostNamespaces(): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']) {
    try { m.set(readlinkSync(`/proc/self/ns/${n}`), 'host'); } catch {}
  }
  return m;
}

/** Starts `unshare <flags> sleep` (a test tool, not runtime work) and waits until its namespaces exist. */
export async function nsHelper(c: Ctx, flags: string[]): Promise<number> {
  const p: ChildProcess = spawn('/usr/bin/unshare', [...flags, '/bin/sleep', '120'], { stdio: 'ignore', env: { PATH: PATH_ENV } });
  c.cleanups.push(() => { try { p.kill('SIGKILL'); } catch {} });
  const pid = p.pid!;
  // unshare forks when it makes a pid namespace: the sleep is its child.
  const target = flags.some((f) => /^--pid|^-p$|^-\w*p/.test(f)) && flags.includes('--fork') ? await child(pid) : pid;
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(`/proc/${target}/exe`).endsWith('/sleep')) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const n of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']) {
    try {
      const ino = readlinkSync(`/proc/${target}/ns/${n}`);
      if (!c.nsLabels.has(ino)) c.nsLabels.set(ino, 'joined');
    } catch {}
  }
  return target;
}

async function child(pid: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    try {
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (kids) return Number(kids.split(' ')[0]);
    } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`unshare ${pid} made no child`);
}

/** Mount points in the host's mount namespace at or under dir, deepest first. */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const point = line.split(' ')[4];
    if (point && (point === dir || point.startsWith(dir + '/'))) out.push(point.replace(/\\040/g, ' '));
  }
  return out.reverse();
}

/** The cgroup dirs a container's cgroup would have, in every mounted hierarchy. */
function cgroupDirs(rel: string): string[] {
  const out: string[] = [];
  const top = '/sys/fs/cgroup';
  if (existsSync(join(top, 'cgroup.controllers'))) return existsSync(join(top, rel)) ? [join(top, rel)] : [];
  for (const h of readdirSync(top)) {
    const d = join(top, h, rel);
    try { if (statSync(d).isDirectory()) out.push(d); } catch {}
  }
  return out;
}

/** Removes a cgroup directory tree bottom-up (only dirs; the kernel removes the files). */
export function rmCgroupTree(d: string): void {
  if (!existsSync(d)) return;
  for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmCgroupTree(join(d, e.name));
  try { rmdirSync(d); } catch {}
}

export interface RunEnv {
  dir: string;
  template: string;
  bases: Record<BaseName, string>;
  cgroupParent: string;
  hostNs: Map<string, string>;
}

/** Runs one variation under one runtime: bundle, run, collect, clean up. */
export async function runOne(env: RunEnv, v: Variation, index: number, rt: Runtime): Promise<RunOutcome> {
  const bundle = join(env.dir, rt.tag, String(index).padStart(3, '0'));
  const id = `dh-${String(index).padStart(3, '0')}-${rt.tag}`;
  mkdirSync(bundle, { recursive: true });
  const c: Ctx = {
    rt, bundle, rootfs: join(bundle, 'rootfs'), id, hookOut: join(bundle, 'hooks'), host: join(bundle, 'host'),
    cgroupParent: env.cgroupParent, nsLabels: new Map(env.hostNs), cleanups: [],
  };
  mkdirSync(c.hookOut);
  cloneRootfs(env.template, c.rootfs);
  const base = v.base ?? 'runc-spec';
  const spec = baseSpec(env.bases[base], base, c, env.cgroupParent, id);
  try {
    await v.edit?.(spec, c);
    // runc's default cgroup is relative to its caller's cgroup, and the harness runs in one it must
    // not make children in: runc gets the path it takes from the root cgroup (/<id>); tsrun keeps
    // its own default (/tsrun/<id>). The container's cgroup is then normalised to <cgroup>.
    const given = spec.linux?.cgroupsPath;
    if (rt.name === 'runc' && !given && spec.linux) spec.linux.cgroupsPath = `/${id}`;
    const cgroup = given ?? `${rt.name === 'runc' ? '' : '/tsrun'}/${id}`;
    if (v.args) spec.process!.args = v.args;
    else spec.process!.args = ['sh', '-c', probeScript(spec)];
    writeBundle(bundle, spec);
    const call = await rt.call(['run', ...(v.runFlags ?? []), '-b', bundle, id], { timeout: 25_000, tty: v.tty });
    const names: Names = { bundle, bundleInFs: bundle.slice(env.dir.length), id, cgroup, cgroupParent: env.cgroupParent, runtimeDir: join(env.dir, rt.tag) };
    let out = call.stdout;
    let ttyLines: string[] | undefined;
    if (v.tty) {
      // A runtime that proxies a terminal puts its own (the user's) terminal in raw mode; otherwise
      // the outer terminal turns each \n the container's terminal sent as \r\n again into \r\r\n.
      ttyLines = [/\r\r\n/.test(out) ? 'lines end in \\r\\r\\n (the outer terminal was not put in raw mode)' : 'lines end in \\r\\n'];
      // The runtime's own stderr is the terminal too: its warnings are not the container's output.
      out = out.replace(/\r+\n/g, '\n').split('\n').filter((x) => !/^(warning: |time="[^"]*" level=warning )/.test(x)).join('\n');
    }
    const secs = sections(out);
    if (ttyLines) secs.tty = ttyLines;
    const errors = rt.name === 'runc' ? runcMessages(call.stderr) : tsrunMessages(call.stderr);
    // A failure is the runtime's: a non-zero exit with an error message (the probe sends its own
    // stderr to stdout, so stderr holds only the runtime's lines).
    const failed = call.code !== 0 && errors.length > 0;
    for (const f of existsSync(c.hookOut) ? readdirSync(c.hookOut).sort() : []) {
      if (!f.endsWith('.tmp')) secs[`hook:${f}`] = readFileSync(join(c.hookOut, f), 'utf8').replace(/\n+$/, '').split('\n');
    }
    Object.assign(secs, v.collect?.(c));
    secs.exit = [`code=${call.code}`, ...(call.timedOut ? ['timed out'] : [])];
    // What was left: a container in the root (foreground run deletes it), a cgroup.
    const left: string[] = [];
    // Only this run's container: the root is shared with the runs going on beside this one.
    for (const cid of rt.ids().filter((x) => x === id)) {
      const st = await rt.call(['state', cid]);
      let status = 'unknown';
      try { status = JSON.parse(st.stdout).status; } catch {}
      left.push(`container ${cid} left (${status})`);
      await rt.remove(cid);
    }
    const rel = cgroup;
    for (const d of cgroupDirs(rel)) {
      left.push(`cgroup ${d.slice('/sys/fs/cgroup/'.length).replace(rel, '')} left`);
      rmCgroupTree(d);
    }
    for (const m of mountsUnder(bundle)) {
      left.push(`mount ${m.replace(bundle, '<bundle>')} left in the host`);
      spawnSync('/usr/bin/umount', ['-l', m]);
    }
    if (left.length) secs.leftover = left;
    return { call, sections: normaliseAll(secs, names, c.nsLabels), failed, errors, names };
  } finally {
    for (const f of c.cleanups.reverse()) await f();
  }
}

function normaliseAll(secs: Sections, n: Names, ns: Map<string, string>): Sections {
  const out: Sections = {};
  for (const [k, lines] of Object.entries(secs)) {
    let ls = lines.map((l) => normalise(l, n));
    if (k === 'mountinfo') ls = canonicalMountinfo(ls);
    if (k === 'dev' || k === 'files') ls = ls.map(normaliseLs);
    if (k === 'ns') ls = ls.map((l) => { const [name, ino] = l.split(' '); return `${name} ${ns.get(ino) ?? (ino ? 'new' : 'none')}`; });
    if (k === 'cgroup') ls = ls.map((l) => l.replace(/^\d+:/, ''));
    if (k === 'cgfiles') ls = ls.map(sortDevicesList);
    if (k.startsWith('hook:')) ls = ls.flatMap(stateLines);
    out[k] = ls;
  }
  return out;
}

/** The differences between runc's and tsrun's outcomes of one variation. */
export function compareOutcomes(v: Variation, r: RunOutcome, t: RunOutcome): Difference[] {
  if (r.failed !== t.failed) {
    const d: Difference[] = [{
      section: 'outcome',
      runc: [outcomeLine(r)],
      tsrun: [outcomeLine(t)],
    }];
    // What was left behind still counts.
    const rest = diffSections(pick(r.sections, ['leftover']), pick(t.sections, ['leftover']));
    return [...d, ...rest];
  }
  if (r.failed) {
    const f = failureLines(r.call.stderr, t.call.stderr, v.keywords ?? [], v.names);
    const keep = (s: Sections) => pick(s, ['exit', 'leftover', 'hookchild', ...Object.keys(s).filter((k) => k.startsWith('hook:'))]);
    return diffSections({ ...keep(r.sections), failure: f.runc }, { ...keep(t.sections), failure: f.tsrun });
  }
  return diffSections(r.sections, t.sections);
}

function outcomeLine(o: RunOutcome): string {
  const how = `exit ${o.call.code}${o.call.signal ? `, ${o.call.signal}` : ''}${o.call.timedOut ? ', timed out' : ''}`;
  return o.failed ? `failed (${how}): ${o.errors.join(' | ').slice(0, 400)}` : `ran (${how})`;
}

function pick(s: Sections, keys: string[]): Sections {
  const o: Sections = {};
  for (const k of keys) if (s[k]) o[k] = s[k];
  return o;
}
