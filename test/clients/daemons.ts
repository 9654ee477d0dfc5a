// containerd and dockerd started by hand for the client end-to-end tests: everything they keep
// (root, state, sockets, runtime state) lives under one temp dir, and `teardown` stops them by pid
// and removes what they left elsewhere (shims, container processes, mounts, cgroups, shim sockets).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TSRUN } from '../helpers/env.js';
import { Daemon, cgroupDirs, killPids, missingGlobalDirs, mountsUnder, pidAlive, pidsWithArg, removeCgroupTree, removeEmptyDirs, rmrf, sh, shimSocketPath, unmountUnder, type Cmd, type CmdOpts } from './harness.js';

/**
 * The runtime the clients are pointed at: bin/tsrun, or $TSRUN_CLIENTS_RUNTIME (e.g. /usr/sbin/runc,
 * to see what the same scenario does with runc).
 */
export const RUNTIME = process.env.TSRUN_CLIENTS_RUNTIME || TSRUN;

export const CLIENT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Plugins that need network, special filesystems or write outside our dirs (opt: /opt/containerd).
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing',
  'io.containerd.internal.v1.opt',
];

/** overlayfs when the temp dir's filesystem can hold an upper dir, else native (plain copies). */
export function pickSnapshotter(dir: string): 'overlayfs' | 'native' {
  const probe = join(dir, 'overlay-probe');
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(probe, d), { recursive: true });
  const r = sh(['mount', '-n', '-t', 'overlay', 'overlay', '-o', `lowerdir=${probe}/lower,upperdir=${probe}/upper,workdir=${probe}/work`, `${probe}/merged`], { timeout: 10_000 });
  if (r.code === 0) sh(['umount', '-n', `${probe}/merged`], { timeout: 10_000 });
  rmrf(probe);
  return r.code === 0 ? 'overlayfs' : 'native';
}

export class Containerd {
  readonly address: string;
  readonly daemon: Daemon;
  readonly snapshotter: string;
  /** (namespace, container id) pairs the test used: their shim sockets are removed at teardown. */
  readonly tasks: Array<[string, string]> = [];

  /**
   * `cri`: with it, the CRI plugin is enabled and these lines (its `[plugins."io.containerd.grpc.v1.cri"]`
   * tables, made by the caller from the snapshotter) end the config.
   */
  constructor(readonly dir: string, cri?: (snapshotter: string) => string[]) {
    mkdirSync(dir, { recursive: true });
    this.address = join(dir, 'ctd.sock');
    this.snapshotter = pickSnapshotter(dir);
    const disabled = cri ? DISABLED_PLUGINS.filter((p) => p !== 'io.containerd.grpc.v1.cri') : DISABLED_PLUGINS;
    const config = [
      'version = 2',
      `root = ${JSON.stringify(join(dir, 'root'))}`,
      `state = ${JSON.stringify(join(dir, 'state'))}`,
      `disabled_plugins = ${JSON.stringify(disabled)}`,
      '[grpc]',
      `  address = ${JSON.stringify(this.address)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(`${this.address}.ttrpc`)}`,
      '[debug]',
      '  level = "info"',
      '[metrics]',
      '  address = ""',
      ...(cri ? cri(this.snapshotter) : []),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'config.toml'), config);
    this.daemon = new Daemon('containerd', ['containerd', '--config', join(dir, 'config.toml')], join(dir, 'containerd.log'), { PATH: CLIENT_PATH });
  }

  ctr(args: string[], opts: CmdOpts = {}): Cmd {
    return sh(['ctr', '--address', this.address, ...args], { cwd: this.dir, env: { PATH: CLIENT_PATH, HOME: this.dir }, ...opts });
  }

  async waitReady(deadlineMs = 20_000): Promise<void> {
    await this.daemon.waitReady(() => existsSync(this.address) && this.ctr(['version'], { timeout: 5_000 }).code === 0, deadlineMs);
  }

  /** The shim processes our containerd started (their argv has `-address <our socket>`). */
  shimPids(): number[] {
    return pidsWithArg(this.address).filter((p) => {
      try {
        return basename(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]).startsWith('containerd-shim');
      } catch {
        return false;
      }
    });
  }

  /** Best effort, bounded: kill and delete every task and container in `ns` through ctr. */
  removeAll(ns: string): void {
    if (!this.daemon.running) return;
    const tasks = this.ctr(['-n', ns, 'task', 'ls', '-q'], { timeout: 10_000 }).stdout.split('\n').filter(Boolean);
    for (const t of tasks) {
      this.ctr(['-n', ns, 'task', 'resume', t], { timeout: 5_000 });
      this.ctr(['-n', ns, 'task', 'kill', '-a', '-s', 'SIGKILL', t], { timeout: 5_000 });
    }
    for (const t of tasks) this.ctr(['-n', ns, 'task', 'delete', '-f', t], { timeout: 10_000 });
    const cs = this.ctr(['-n', ns, 'container', 'ls', '-q'], { timeout: 10_000 }).stdout.split('\n').filter(Boolean);
    for (const c of cs) this.ctr(['-n', ns, 'container', 'rm', c], { timeout: 10_000 });
  }
}

export interface TeardownReport {
  leftovers: string[];
  notes: string[];
}

/**
 * Stops the daemons (most dependent first) and removes what they left: shims and the container
 * processes in the given cgroup parents, mounts under `dir`, those cgroups, the shim sockets of
 * the tasks, `dir` itself, and the global dirs that were missing before (`globalBefore`) if empty.
 */
export async function teardown(opts: {
  dir: string;
  daemons: Daemon[];
  containerd?: Containerd;
  cgroupParents: string[];
  globalMissingBefore: string[];
}): Promise<TeardownReport> {
  const notes: string[] = [];
  const c = opts.containerd;
  if (c?.daemon.running) {
    // Every container containerd still knows (Docker's too, in namespace moby): their shim sockets.
    for (const ns of c.ctr(['namespaces', 'ls', '-q'], { timeout: 5_000 }).stdout.split('\n').filter(Boolean)) {
      for (const id of c.ctr(['--namespace', ns, 'containers', 'ls', '-q'], { timeout: 5_000 }).stdout.split('\n').filter(Boolean)) c.tasks.push([ns, id]);
    }
  }
  const shims = c?.shimPids() ?? [];
  for (const d of opts.daemons) {
    if (d.running) {
      await d.stop(10_000);
      notes.push(`stopped ${d.name} (pid ${d.pid}): ${d.exitInfo}`);
    }
  }
  const liveShims = [...new Set([...shims, ...(opts.containerd?.shimPids() ?? [])])].filter(pidAlive);
  if (liveShims.length) {
    notes.push(`killing leftover shims ${liveShims.join(' ')}`);
    await killPids(liveShims, 2_000);
  }
  for (const rel of opts.cgroupParents) {
    const left = await removeCgroupTree(rel);
    if (left.length) notes.push(`could not remove cgroups: ${left.join(' ')}`);
  }
  const unmounted = unmountUnder(opts.dir);
  if (unmounted.length) notes.push(`unmounted ${unmounted.length} leftover mounts: ${unmounted.join(' ')}`);
  if (opts.containerd) {
    for (const [ns, id] of opts.containerd.tasks) rmrf(shimSocketPath(opts.containerd.address, ns, id));
  }
  rmrf(opts.dir);
  removeEmptyDirs(opts.globalMissingBefore);

  const leftovers: string[] = [];
  for (const m of mountsUnder(opts.dir)) leftovers.push(`mount ${m}`);
  for (const rel of opts.cgroupParents) for (const c of cgroupDirs(rel)) leftovers.push(`cgroup ${c}`);
  for (const d of opts.daemons) if (d.running) leftovers.push(`${d.name} pid ${d.pid} still running`);
  if (opts.containerd) {
    for (const p of opts.containerd.shimPids()) leftovers.push(`shim pid ${p}`);
    for (const [ns, id] of opts.containerd.tasks) {
      const s = shimSocketPath(opts.containerd.address, ns, id);
      if (existsSync(s)) leftovers.push(`shim socket ${s}`);
    }
  }
  if (existsSync(opts.dir)) leftovers.push(`dir ${opts.dir}`);
  for (const d of opts.globalMissingBefore) if (existsSync(d)) notes.push(`${d} was created during the test and is not empty (another daemon uses it?)`);
  return { leftovers, notes };
}

export { missingGlobalDirs };

/**
 * dockerd on its own socket, data root and exec root under `dir`, with no networking (no bridge,
 * no iptables), tsrun added as runtime "tsrun", containers under cgroup parent `/<cgroupParent>`,
 * and our own containerd (so no /opt/containerd and nothing at the default containerd socket).
 */
export class Dockerd {
  readonly host: string;
  readonly daemon: Daemon;

  /** extra: more dockerd flags (the systemd suite's `--exec-opt native.cgroupdriver=systemd`; its parent is then a slice). */
  constructor(readonly dir: string, containerd: Containerd, readonly cgroupParent: string, runtime = RUNTIME, extra: string[] = []) {
    mkdirSync(join(dir, 'cli'), { recursive: true });
    this.host = `unix://${join(dir, 'docker.sock')}`;
    const storage = containerd.snapshotter === 'overlayfs' ? 'overlay2' : 'vfs';
    // The trust key would otherwise be written to /etc/docker/key.json.
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
    this.daemon = new Daemon(
      'dockerd',
      [
        'dockerd',
        '--config-file', join(dir, 'daemon.json'),
        '--data-root', join(dir, 'data'),
        '--exec-root', join(dir, 'exec'),
        '--host', this.host,
        '--pidfile', join(dir, 'docker.pid'),
        '--containerd', containerd.address,
        '--storage-driver', storage,
        '--bridge', 'none',
        '--iptables=false',
        '--ip-masq=false',
        '--cgroup-parent', cgroupParent.endsWith('.slice') ? cgroupParent : `/${cgroupParent}`,
        '--add-runtime', `tsrun=${runtime}`,
        ...extra,
      ],
      join(dir, 'dockerd.log'),
      { PATH: CLIENT_PATH },
    );
  }

  docker(args: string[], opts: CmdOpts = {}): Cmd {
    return sh(['/usr/bin/docker', '--host', this.host, ...args], { cwd: this.dir, env: { PATH: CLIENT_PATH, HOME: this.dir, DOCKER_CONFIG: join(this.dir, 'cli') }, ...opts });
  }

  dockerArgv(args: string[]): string[] {
    return ['env', `DOCKER_CONFIG=${join(this.dir, 'cli')}`, '/usr/bin/docker', '--host', this.host, ...args];
  }

  async waitReady(deadlineMs = 30_000): Promise<void> {
    await this.daemon.waitReady(() => existsSync(this.host.slice('unix://'.length)) && this.docker(['version'], { timeout: 5_000 }).code === 0, deadlineMs);
  }

  /** Best effort, bounded: unpause and force-remove every container. */
  removeAll(): void {
    if (!this.daemon.running) return;
    const ids = this.docker(['ps', '-aq', '--no-trunc'], { timeout: 10_000 }).stdout.split('\n').filter(Boolean);
    for (const id of ids) this.docker(['unpause', id], { timeout: 10_000 });
    if (ids.length) this.docker(['rm', '-f', ...ids], { timeout: 30_000 });
  }
}
