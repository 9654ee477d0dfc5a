// Kubernetes' path to tsrun, end to end: containerd 1.6 with its CRI plugin, started by hand (cri/env.ts),
// runtime handlers `tsrun` (io.containerd.runc.v2 with BinaryName = the tsrun under test) and `runc`,
// driven over runtime.v1 gRPC as kubelet drives it. The same scenarios run on both handlers: what
// works with runc here must work with tsrun. Installs nothing: .ci/run installs containerd and CNI.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { CriError, type ContainerConfig, type ContainerState, type ContainerStatus, type PodSandboxConfig } from './cri/client.js';
import { BUSYBOX_IMAGE, CRI_NS, CriNode, PAUSE_IMAGE } from './cri/env.js';
import { cat, mountsUnder, pidAlive, waitFor } from './harness.js';
import { findBusyboxStatic } from './image.js';

const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc', 'ip'].filter((c) => !which(c));
const cniMissing = ['bridge', 'host-local', 'loopback'].filter((p) => !existsSync(`/usr/lib/cni/${p}`));
const reason = !isRoot
  ? 'CRI end-to-end tests need root'
  : missing.length
    ? `${missing.join(', ')} not installed (apt-get install containerd runc iproute2; .ci/run does)`
    : cniMissing.length
      ? `CNI plugins ${cniMissing.join(', ')} not in /usr/lib/cni (apt-get install containernetworking-plugins)`
      : !findBusyboxStatic()
        ? 'busybox-static is not installed'
        : undefined;
const skip = skipReason(reason);

// runc for comparison in the default pass only: the other passes (TSRUN_BIN) test other builds of tsrun.
const HANDLERS = (process.env.TSRUN_CRI_HANDLERS ?? (process.env.TSRUN_BIN ? 'tsrun' : 'tsrun,runc')).split(',').filter(Boolean);

// Per test. Generous: under the cgroup v2 VM's emulated CPU one test takes a minute (here: ~1 s).
const T = 240_000;
/** Whether this host lets a process make a user namespace (a chroot does not: the v2 VM). */
const usernsOk = spawnSync('unshare', ['-U', 'true']).status === 0;

const nsOf = (pid: number, ns: string) => readlinkSync(`/proc/${pid}/ns/${ns}`);
const procStatus = (pid: number, field: string) => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
/** waitFor for an async condition. */
async function waitUntil(what: string, fn: () => Promise<boolean>, deadlineMs: number, everyMs = 100): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
const capMask = (hex: string | undefined) => BigInt(`0x${hex ?? '0'}`);

/** A cgroup file of `pid`: the v1 controller's hierarchy when it has one, else the cgroup2 one. */
function cgroupFile(pid: number, v1: [controller: string, file: string], v2file: string): string | undefined {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const [ctrl, file] = v1;
  const l1 = lines.find((l) => l.split(':')[1]?.split(',').includes(ctrl));
  if (l1) return cat(`/sys/fs/cgroup/${ctrl}${l1.split(':')[2]}/${file}`);
  const l2 = lines.find((l) => l.startsWith('0::'));
  const root = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
  return l2 ? cat(`${root}${l2.slice(3)}/${v2file}`) : undefined;
}

/** The container's cgroup dirs (one per v1 hierarchy, or the cgroup2 one), from /proc/<pid>/cgroup. */
function cgroupDirsOf(pid: number): string[] {
  const out: string[] = [];
  for (const l of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, ctrls, path] = l.split(':');
    if (!path || path === '/') continue;
    if (ctrls === '') out.push(`${existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified'}${path}`);
    else if (!ctrls.startsWith('name=')) {
      const dir = `/sys/fs/cgroup/${ctrls.split(',')[0]}${path}`;
      if (existsSync(dir)) out.push(dir);
    }
  }
  return out;
}

/** One line of the CRI container log format: `<RFC 3339 nano time> <stream> <P|F> <text>`. */
interface LogLine { time: string; stream: string; tag: string; text: string }
function parseCriLog(text: string): LogLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(l);
      if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(l)}`);
      return { time: m[1], stream: m[2], tag: m[3], text: m[4] };
    });
}

// What kubelet sends for an unprivileged container (its default /proc mount type).
const KUBELET_MASKED_PATHS = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const KUBELET_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// containerd's default capability set (what a CRI container gets without add/drop).
const DEFAULT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];
const CAP_BITS: Record<string, number> = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8, NET_BIND_SERVICE: 10, NET_ADMIN: 12, NET_RAW: 13, SYS_CHROOT: 18, SYS_ADMIN: 21, MKNOD: 27, AUDIT_WRITE: 29, SETFCAP: 31 };
const maskOf = (caps: string[]) => caps.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c])), 0n);

describe.skipIf(skip)('containerd CRI drives tsrun as a RuntimeClass handler', () => {
  let node: CriNode;
  const t0 = Date.now();

  beforeAll(async () => {
    node = new CriNode({ systemd: process.env.TSRUN_CRI_SYSTEMD === '1' });
    await node.start();
    console.log(`[cri] handlers ${HANDLERS.join(', ')}; node ready (snapshotter ${node.ctd.snapshotter}${node.podNetwork ? '' : ', NO pod network: host-network pods only'}) in ${Date.now() - t0} ms, dir ${node.dir}`);
  }, 120_000);

  afterAll(async () => {
    if (!node) return;
    const rep = await node.stop();
    for (const n of rep.notes) console.log(`[cri] teardown: ${n}`);
    console.log(`[cri] suite took ${Date.now() - t0} ms`);
    if (rep.leftovers.length) throw new Error(`[cri] teardown LEFT BEHIND:\n  ${rep.leftovers.join('\n  ')}`);
  }, 120_000);

  it('serves runtime.v1 and is ready (runtime and CNI network)', async () => {
    const v = await node.cri.version();
    expect(v.runtimeName).toBe('containerd');
    expect(v.runtimeApiVersion).toBe('v1');
    const st = await node.cri.status();
    const cond = Object.fromEntries(st.status.conditions.map((c) => [c.type, c]));
    expect(cond.RuntimeReady?.status, JSON.stringify(cond)).toBe(true);
    expect(cond.NetworkReady?.status, JSON.stringify(cond)).toBe(true);
  });

  it('lists the pause and busybox images imported with ctr -n k8s.io', async () => {
    const tags = (await node.cri.listImages()).flatMap((i) => i.repoTags);
    expect(tags).toEqual(expect.arrayContaining([PAUSE_IMAGE, BUSYBOX_IMAGE]));
    expect((await node.cri.imageStatus(BUSYBOX_IMAGE))?.repoTags).toContain(BUSYBOX_IMAGE);
  });

  describe.each(HANDLERS)('handler %s', (handler) => {
    const container = (name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
      metadata: { name: `cri-${name}` },
      image: { image: BUSYBOX_IMAGE },
      command,
      logPath: `${name}.log`,
      labels: { 'tsrun-test': node.tag },
      ...extra,
    });

    /** Runs `fn` with a new pod, removed afterwards whatever happens. */
    async function withPod<T>(cfg: PodSandboxConfig, fn: (id: string, cfg: PodSandboxConfig) => Promise<T>): Promise<T> {
      const id = await node.runPod(cfg, handler);
      try {
        return await fn(id, cfg);
      } finally {
        await node.removePod(id);
      }
    }

    /**
     * CreateContainer as kubelet sends it: the pod's namespace options unless the container has its
     * own, and (unprivileged) kubelet's masked and read-only paths, which containerd does not add.
     */
    function createContainer(pod: string, podCfg: PodSandboxConfig, cfg: ContainerConfig): Promise<string> {
      const sc = cfg.linux?.securityContext;
      const namespaceOptions = sc?.namespaceOptions ?? podCfg.linux?.securityContext?.namespaceOptions;
      const paths = sc?.privileged ? {} : { maskedPaths: KUBELET_MASKED_PATHS, readonlyPaths: KUBELET_READONLY_PATHS };
      return node.cri.createContainer(pod, { ...cfg, linux: { ...cfg.linux, securityContext: { ...paths, ...sc, namespaceOptions } } }, podCfg);
    }

    /** CreateContainer + StartContainer; returns the id. */
    async function startContainer(pod: string, podCfg: PodSandboxConfig, cfg: ContainerConfig): Promise<string> {
      const id = await createContainer(pod, podCfg, cfg);
      await node.cri.startContainer(id);
      return id;
    }

    async function status(id: string): Promise<ContainerStatus> {
      return (await node.cri.containerStatus(id)).status;
    }

    async function waitState(id: string, state: ContainerState, ms = 120_000): Promise<ContainerStatus> {
      let last: ContainerStatus | undefined;
      await waitUntil(`container ${id.slice(0, 12)} ${state}`, async () => {
        last = await status(id);
        return last.state === state;
      }, ms);
      return last!;
    }

    /** Runs a command in a new container of a new pod to its end; returns its status and log. */
    async function runToEnd(name: string, command: string[], extra: Partial<ContainerConfig> = {}, podExtra: Partial<PodSandboxConfig> = {}) {
      const cfg = node.podConfig(name, podExtra);
      return withPod(cfg, async (pod) => {
        const id = await startContainer(pod, cfg, container(name, command, extra));
        const st = await waitState(id, 'CONTAINER_EXITED');
        return { id, st, log: readFileSync(st.logPath, 'utf8') };
      });
    }

    // ------------------------------------------------------------------------------------------
    // Pods

    it('RunPodSandbox with host networking: the sandbox runs on the handler, in the host netns', async () => {
      // kubelet sets no hostname for a host-network pod (the pod has the node's UTS namespace).
      const cfg = node.podConfig('hostnet', { linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } });
      await withPod(cfg, async (pod) => {
        const st = (await node.cri.podSandboxStatus(pod)).status;
        expect(st.state).toBe('SANDBOX_READY');
        expect(st.runtimeHandler).toBe(handler);
        const { pid } = await node.sandboxInfo(pod);
        // runc's `start` returns before its init has exec'd pause.
        await waitFor('the sandbox runs /pause', () => cat(`/proc/${pid}/cmdline`) === '/pause\0', 5_000);
        expect(nsOf(pid, 'net')).toBe(nsOf(process.pid, 'net'));
        expect(nsOf(pid, 'uts')).toBe(nsOf(process.pid, 'uts'));
        expect(nsOf(pid, 'pid')).not.toBe(nsOf(process.pid, 'pid'));
        // A container of a host-network pod sees the host's interfaces.
        const c = await startContainer(pod, cfg, container('hostnet', ['sleep', '1000']));
        const r = await node.cri.execSync(c, ['cat', '/proc/net/dev'], 30);
        expect(r.stdout).toContain(readFileSync('/proc/net/dev', 'utf8').split('\n')[3].split(':')[0]);
      });
    }, T);

    it('RunPodSandbox with its own netns: CNI gives it an address on the bridge, no default route; pods reach each other', async (ctx) => {
      if (!node.podNetwork) return ctx.skip('no pod network: this kernel cannot make the CNI bridge');
      const cfgA = node.podConfig('podnet-a');
      const cfgB = node.podConfig('podnet-b');
      await withPod(cfgA, async (podA) => {
        await withPod(cfgB, async (podB) => {
          const stA = (await node.cri.podSandboxStatus(podA)).status;
          const ipB = (await node.cri.podSandboxStatus(podB)).status.network?.ip;
          expect(stA.state).toBe('SANDBOX_READY');
          expect(stA.network?.ip).toMatch(new RegExp(`^${node.subnetPrefix.replace(/\./g, '\\.')}\\.\\d+$`));
          const { pid } = await node.sandboxInfo(podA);
          expect(nsOf(pid, 'net')).not.toBe(nsOf(process.pid, 'net'));
          const c = await startContainer(podA, cfgA, container('ip', ['sleep', '1000']));
          const r = await node.cri.execSync(c, ['sh', '-c', 'ip -4 addr show eth0; echo ---; ip route'], 30);
          expect(r.exitCode, r.stderr).toBe(0);
          expect(r.stdout).toContain(`inet ${stA.network!.ip}/24`);
          expect(r.stdout).not.toContain('default');
          // Traffic between two pods of this node, on its bridge only.
          const p = await node.cri.execSync(c, ['ping', '-c', '1', '-W', '5', ipB!], 30);
          expect(p.exitCode, p.stdout + p.stderr).toBe(0);
        });
      });
    }, T);

    it('containers of a pod share its IPC, network and UTS namespaces (and /dev/shm), not its PID namespace', async () => {
      const cfg = node.podConfig('share');
      await withPod(cfg, async (pod) => {
        const { pid: sandboxPid } = await node.sandboxInfo(pod);
        const a = await startContainer(pod, cfg, container('share-a', ['sh', '-c', 'echo from-a > /dev/shm/note; exec sleep 1000']));
        const b = await startContainer(pod, cfg, container('share-b', ['sleep', '1000']));
        const pa = (await node.containerInfo(a)).pid;
        const pb = (await node.containerInfo(b)).pid;
        for (const ns of ['ipc', 'net', 'uts']) {
          expect(nsOf(pa, ns), ns).toBe(nsOf(sandboxPid, ns));
          expect(nsOf(pb, ns), ns).toBe(nsOf(sandboxPid, ns));
        }
        for (const ns of ['pid', 'mnt']) {
          expect(nsOf(pa, ns), ns).not.toBe(nsOf(sandboxPid, ns));
          expect(nsOf(pa, ns), ns).not.toBe(nsOf(pb, ns));
        }
        await waitUntil('a wrote /dev/shm/note', async () => (await node.cri.execSync(b, ['cat', '/dev/shm/note'], 30)).stdout === 'from-a\n', 60_000);
        if (node.podNetwork) expect((await node.cri.execSync(b, ['hostname'], 30)).stdout).toBe('cri-share\n');
        // Without shareProcessNamespace each container is pid 1 of its own.
        expect((await node.cri.execSync(b, ['cat', '/proc/1/cmdline'], 30)).stdout).toBe('sleep\u00001000\u0000');
      });
    }, T);

    it('shareProcessNamespace: containers join the pod PID namespace, pause is pid 1 and sees them', async () => {
      const cfg = node.podConfig('sharepid', { linux: { securityContext: { namespaceOptions: { pid: 'POD' } } } });
      await withPod(cfg, async (pod) => {
        const { pid: sandboxPid } = await node.sandboxInfo(pod);
        const c = await startContainer(pod, cfg, container('sharepid', ['sleep', '1000']));
        const pc = (await node.containerInfo(c)).pid;
        expect(nsOf(pc, 'pid')).toBe(nsOf(sandboxPid, 'pid'));
        const r = await node.cri.execSync(c, ['sh', '-c', 'cat /proc/1/cmdline; echo; ps -o pid,args'], 30);
        expect(r.stdout.split('\n')[0]).toBe('/pause\0');
        expect(r.stdout).toMatch(/sleep 1000/);
      });
    }, T);

    // ------------------------------------------------------------------------------------------
    // Container lifecycle

    it('CreateContainer / StartContainer / StopContainer / RemoveContainer, with the states in between', async () => {
      const cfg = node.podConfig('life');
      await withPod(cfg, async (pod) => {
        const id = await createContainer(pod, cfg, container('life', ['sh', '-c', 'trap "exit 42" TERM; while :; do sleep 0.1; done']));
        expect((await status(id)).state).toBe('CONTAINER_CREATED');
        await node.cri.startContainer(id);
        const running = await status(id);
        expect(running.state).toBe('CONTAINER_RUNNING');
        expect(running.startedAt).toBeGreaterThan(0);
        expect((await node.cri.listContainers({ podSandboxId: pod })).map((c) => c.id)).toEqual([id]);
        const t = Date.now();
        await node.cri.stopContainer(id, 60);
        expect(Date.now() - t).toBeLessThan(50_000); // the TERM trap ended it, no SIGKILL after the grace period
        const stopped = await status(id);
        expect(stopped.state).toBe('CONTAINER_EXITED');
        expect(stopped.exitCode).toBe(42);
        expect(stopped.reason).toBe('Error');
        await node.cri.removeContainer(id);
        expect(await node.cri.listContainers({ podSandboxId: pod })).toEqual([]);
        await expect(node.cri.containerStatus(id)).rejects.toThrow(/NOT_FOUND/);
      });
    }, T);

    it('StopContainer kills a container that ignores SIGTERM after the grace period (exit 137)', async () => {
      const cfg = node.podConfig('stopkill');
      await withPod(cfg, async (pod) => {
        // pid 1 of its namespace without a handler: SIGTERM is not delivered.
        const id = await startContainer(pod, cfg, container('stopkill', ['sleep', '1000']));
        const t = Date.now();
        await node.cri.stopContainer(id, 2);
        expect(Date.now() - t).toBeGreaterThanOrEqual(1_900);
        const st = await status(id);
        expect(st.state).toBe('CONTAINER_EXITED');
        expect(st.exitCode).toBe(137);
      });
    }, T);

    it('a command that exits non-zero: EXITED with its exit code and reason Error; zero: Completed', async () => {
      const bad = await runToEnd('exit3', ['sh', '-c', 'exit 3']);
      expect(bad.st.exitCode).toBe(3);
      expect(bad.st.reason).toBe('Error');
      expect(bad.st.finishedAt).toBeGreaterThan(0);
      const good = await runToEnd('exit0', ['true']);
      expect(good.st.exitCode).toBe(0);
      expect(good.st.reason).toBe('Completed');
    }, T);

    it("a start the runtime refuses: StartContainer fails and ContainerStatus says StartError with the runtime's message", async () => {
      const cfg = node.podConfig('startfail');
      await withPod(cfg, async (pod) => {
        const id = await createContainer(pod, cfg, container('startfail', ['/nonexistent']));
        const err = await node.cri.startContainer(id).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(CriError);
        const details = (err as CriError).details;
        expect(details).toContain('OCI runtime create failed');
        expect(details).toMatch(/\/nonexistent.*no such file or directory/);
        const st = await status(id);
        expect(st.state).toBe('CONTAINER_EXITED');
        expect(st.reason).toBe('StartError');
        expect(st.exitCode).toBe(128);
        expect(st.message).toContain('OCI runtime create failed');
        expect(st.message).toMatch(/\/nonexistent.*no such file or directory/);
        // The text is the runtime's own log line (tsrun names the container and what it did).
        if (handler === 'tsrun') expect(st.message).toContain(`create ${id}:`);
        console.log(`[cri] ${handler}: StartError message: ${st.message}`);
      });
    }, T);

    it('a failing step of the runtime (cwd is a file) reaches ContainerStatus.message', async () => {
      const cfg = node.podConfig('cwdfail');
      await withPod(cfg, async (pod) => {
        const id = await createContainer(pod, cfg, container('cwdfail', ['true'], { workingDir: '/etc/passwd' }));
        await expect(node.cri.startContainer(id)).rejects.toThrow(CriError);
        const st = await status(id);
        expect(st.reason).toBe('StartError');
        expect(st.message).toContain('/etc/passwd');
        expect(st.message).toContain('not a directory');
        if (handler === 'tsrun') expect(st.message).toMatch(/process\.cwd/);
        console.log(`[cri] ${handler}: StartError message: ${st.message}`);
      });
    }, T);

    // ------------------------------------------------------------------------------------------
    // ExecSync

    it('ExecSync: exit code, stdout and stderr apart; the same user and environment as the container', async () => {
      const cfg = node.podConfig('exec');
      await withPod(cfg, async (pod) => {
        const id = await startContainer(pod, cfg, container('exec', ['sleep', '1000'], { envs: [{ key: 'CRI_VAR', value: 'v1' }] }));
        const r = await node.cri.execSync(id, ['sh', '-c', 'echo out; echo err >&2; echo "$CRI_VAR"; exit 7'], 30);
        expect(r).toEqual({ stdout: 'out\nv1\n', stderr: 'err\n', exitCode: 7 });
        expect((await node.cri.execSync(id, ['true'], 30)).exitCode).toBe(0);
      });
    }, T);

    it('ExecSync past its timeout fails with "timeout exceeded" and the exec process is killed', async () => {
      const cfg = node.podConfig('exectimeout');
      await withPod(cfg, async (pod) => {
        const id = await startContainer(pod, cfg, container('exectimeout', ['sleep', '1000']));
        const t = Date.now();
        await expect(node.cri.execSync(id, ['sleep', '77'], 2)).rejects.toThrow(/timeout 2s exceeded/);
        expect(Date.now() - t).toBeLessThan(60_000);
        const ps = await node.cri.execSync(id, ['ps', '-o', 'args'], 30);
        expect(ps.stdout).not.toContain('sleep 77');
      });
    }, T);

    // ------------------------------------------------------------------------------------------
    // Logs

    it('container logs: stdout and stderr lines in the CRI log format, long lines split P then F', async () => {
      const { st, log } = await runToEnd('logs', ['sh', '-c', 'echo out1; echo err1 >&2; echo out2; head -c 20000 /dev/zero | tr "\\0" a; echo']);
      expect(st.logPath).toMatch(/logs\.log$/);
      const lines = parseCriLog(log);
      for (const l of lines) expect(Number.isNaN(Date.parse(l.time)), l.time).toBe(false);
      expect(lines.filter((l) => l.stream === 'stderr').map((l) => [l.tag, l.text])).toEqual([['F', 'err1']]);
      const out = lines.filter((l) => l.stream === 'stdout');
      expect(out.slice(0, 2).map((l) => [l.tag, l.text])).toEqual([['F', 'out1'], ['F', 'out2']]);
      // containerd's max_container_log_line_size (16 KiB) splits the 20000-byte line.
      expect(out.slice(2).map((l) => [l.tag, l.text.length])).toEqual([['P', 16384], ['F', 20000 - 16384]]);
    }, T);

    // ------------------------------------------------------------------------------------------
    // Stats and resources

    it('ContainerStats and ListContainerStats read the container cgroup (cpu, memory, writable layer)', async () => {
      const cfg = node.podConfig('stats');
      await withPod(cfg, async (pod) => {
        // ~20 MB in a shell variable, some CPU, then idle.
        const busy = container('stats', ['sh', '-c', 'x=$(head -c 20000000 /dev/zero | tr "\\0" a); i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo ready; sleep 1000; echo ${#x}']);
        const id = await startContainer(pod, cfg, busy);
        const idle = await startContainer(pod, cfg, container('stats-idle', ['sleep', '1000']));
        await waitFor('stats container ready', () => (cat(join(cfg.logDirectory!, 'stats.log')) ?? '').includes('ready'), 120_000);
        const s = await node.cri.containerStats(id);
        expect(s.attributes.id).toBe(id);
        expect(s.attributes.metadata.name).toBe('cri-stats');
        expect(s.cpu?.usageCoreNanoSeconds?.value).toBeGreaterThan(10_000_000);
        expect(s.memory?.workingSetBytes?.value).toBeGreaterThan(15_000_000);
        expect(s.memory?.usageBytes?.value).toBeGreaterThanOrEqual(s.memory!.workingSetBytes!.value);
        expect(s.writableLayer?.usedBytes).toBeDefined();
        const list = await node.cri.listContainerStats({ podSandboxId: pod });
        expect(list.map((x) => x.attributes.id).sort()).toEqual([id, idle].sort());
        const idleStats = list.find((x) => x.attributes.id === idle)!;
        expect(idleStats.memory?.workingSetBytes?.value).toBeLessThan(s.memory!.workingSetBytes!.value);
      });
    }, T);

    it('UpdateContainerResources changes the running container cgroup (memory, CPU quota and shares)', async () => {
      const cfg = node.podConfig('update');
      await withPod(cfg, async (pod) => {
        const id = await startContainer(pod, cfg, container('update', ['sleep', '1000'], { linux: { resources: { memoryLimitInBytes: 128 << 20, cpuShares: 512 } } }));
        const pid = (await node.containerInfo(id)).pid;
        const mem = () => cgroupFile(pid, ['memory', 'memory.limit_in_bytes'], 'memory.max');
        const quota = () => cgroupFile(pid, ['cpu', 'cpu.cfs_quota_us'], 'cpu.max');
        const shares = () => cgroupFile(pid, ['cpu', 'cpu.shares'], 'cpu.weight');
        expect(mem()).toBe(String(128 << 20));
        const v2 = !readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(':memory:');
        // v2 weight from shares: runc 1.1 maps linearly (512 -> 20); tsrun uses the formula of runc
        // 1.3.2+ and crun, which keeps 1024 -> 100 (512 -> 59). Both are runc's.
        const weights = (shares: number) => [String(1 + Math.floor(((shares - 2) * 9999) / 262142)), String(Math.ceil(10 ** ((Math.log2(shares) ** 2 + 125 * Math.log2(shares)) / 612 - 7 / 34)))];
        if (v2) expect(weights(512)).toContain(shares());
        else expect(shares()).toBe('512');
        await node.cri.updateContainerResources(id, { memoryLimitInBytes: 64 << 20, cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 256 });
        expect(mem()).toBe(String(64 << 20));
        expect(quota()).toBe(v2 ? '50000 100000' : '50000');
        if (v2) expect(weights(256)).toContain(shares());
        else expect(shares()).toBe('256');
        const res = (await status(id)).resources?.linux;
        expect(res?.memoryLimitInBytes).toBe(64 << 20);
        expect(res?.cpuQuota).toBe(50_000);
        // Still the same process, still running.
        expect((await status(id)).state).toBe('CONTAINER_RUNNING');
        expect((await node.containerInfo(id)).pid).toBe(pid);
      });
    }, T);

    it('a container over its memory limit is OOM-killed: EXITED, reason OOMKilled, exit code 137', async () => {
      const limit = 32 << 20;
      const { st, log } = await runToEnd('oom', ['sh', '-c', 'sleep 1; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], {
        linux: { resources: { memoryLimitInBytes: limit, memorySwapLimitInBytes: limit } },
      });
      expect(log).not.toContain('survived');
      expect(st.exitCode).toBe(137);
      expect(st.reason).toBe('OOMKilled');
    }, T);

    // ------------------------------------------------------------------------------------------
    // Security context

    it('runAsUser / runAsGroup / supplementalGroups set the process credentials, for exec too', async () => {
      const cfg = node.podConfig('user');
      await withPod(cfg, async (pod) => {
        const id = await startContainer(pod, cfg, container('user', ['sleep', '1000'], { linux: { securityContext: { runAsUser: { value: 65534 }, runAsGroup: { value: 65534 }, supplementalGroups: [1234] } } }));
        const pid = (await node.containerInfo(id)).pid;
        expect(procStatus(pid, 'Uid')?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
        expect(procStatus(pid, 'Gid')?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
        expect(procStatus(pid, 'Groups')?.split(/\s+/)).toContain('1234');
        const r = await node.cri.execSync(id, ['id'], 30);
        expect(r.stdout).toMatch(/^uid=65534\(nobody\) gid=65534\(nogroup\) groups=.*1234/);
        // A non-root user gets no effective capabilities.
        expect(capMask(procStatus(pid, 'CapEff'))).toBe(0n);
      });
    }, T);

    it('readOnlyRootfs: the root filesystem is read-only, the pod files CRI mounts stay writable', async () => {
      const { st, log } = await runToEnd('rofs', ['sh', '-c', 'touch /x 2>&1; echo rc=$?; echo ok > /dev/shm/y && echo shm-rw'], { linux: { securityContext: { readonlyRootfs: true } } });
      expect(st.exitCode).toBe(0);
      expect(log).toContain('Read-only file system');
      expect(log).toContain('rc=1');
      expect(log).toContain('shm-rw');
    }, T);

    it("capabilities: containerd's default set; drop ALL + add NET_ADMIN leaves exactly that one", async () => {
      const cfg = node.podConfig('caps');
      await withPod(cfg, async (pod) => {
        const dflt = await startContainer(pod, cfg, container('caps-default', ['sleep', '1000']));
        const one = await startContainer(pod, cfg, container('caps-one', ['sleep', '1000'], { linux: { securityContext: { capabilities: { dropCapabilities: ['ALL'], addCapabilities: ['NET_ADMIN'] } } } }));
        const pd = (await node.containerInfo(dflt)).pid;
        const p1 = (await node.containerInfo(one)).pid;
        expect(capMask(procStatus(pd, 'CapEff'))).toBe(maskOf(DEFAULT_CAPS));
        expect(capMask(procStatus(pd, 'CapBnd'))).toBe(maskOf(DEFAULT_CAPS));
        expect(capMask(procStatus(p1, 'CapEff'))).toBe(maskOf(['NET_ADMIN']));
        expect(capMask(procStatus(p1, 'CapBnd'))).toBe(maskOf(['NET_ADMIN']));
        // And it works: NET_ADMIN may add an address in the pod's netns (never the host's); the default set may not.
        if (node.podNetwork) expect((await node.cri.execSync(one, ['ip', 'addr', 'add', '192.0.2.1/32', 'dev', 'lo'], 30)).exitCode).toBe(0);
        if (node.podNetwork) expect((await node.cri.execSync(dflt, ['ip', 'addr', 'add', '192.0.2.2/32', 'dev', 'lo'], 30)).exitCode).not.toBe(0);
      });
    }, T);

    it('privileged: every capability containerd has, host devices, no masked or read-only /proc paths, no seccomp', async () => {
      const cfg = node.podConfig('priv', { linux: { securityContext: { privileged: true } } });
      await withPod(cfg, async (pod) => {
        const plain = await startContainer(pod, cfg, container('unpriv', ['sleep', '1000']));
        const id = await startContainer(pod, cfg, container('priv', ['sleep', '1000'], { linux: { securityContext: { privileged: true } } }));
        const pid = (await node.containerInfo(id)).pid;
        // containerd grants what it has itself (this VM's bounding set lacks CAP_SYS_RESOURCE).
        const ours = capMask(procStatus(process.pid, 'CapBnd'));
        expect(capMask(procStatus(pid, 'CapEff'))).toBe(ours);
        expect(procStatus(pid, 'Seccomp')).toBe('0');
        const probe = ['sh', '-c', 'ls /dev; echo ---; cat /proc/mounts'];
        const r = await node.cri.execSync(id, probe, 30);
        const [devs, mounts] = r.stdout.split('---\n');
        for (const d of ['kmsg', 'loop-control', 'tty0']) if (existsSync(`/dev/${d}`)) expect(devs.split('\n')).toContain(d);
        expect(mounts).not.toMatch(/ \/proc\/(keys|sys) /);
        // The unprivileged container next to it has kubelet's paths masked and read-only.
        const u = await node.cri.execSync(plain, probe, 30);
        const [udevs, umounts] = u.stdout.split('---\n');
        expect(udevs.split('\n')).not.toContain('kmsg');
        expect(umounts).toMatch(/ \/proc\/keys /);
        expect(umounts).toMatch(/ \/proc\/sys proc ro[, ]/);
      });
    }, T);

    it('seccomp RuntimeDefault filters syscalls (unshare -U fails), Unconfined does not; noNewPrivs sets no_new_privs', async () => {
      const cfg = node.podConfig('seccomp');
      await withPod(cfg, async (pod) => {
        const def = await startContainer(pod, cfg, container('seccomp-default', ['sleep', '1000'], { linux: { securityContext: { seccomp: { profileType: 'RuntimeDefault' }, noNewPrivs: true } } }));
        const unc = await startContainer(pod, cfg, container('seccomp-unconfined', ['sleep', '1000'], { linux: { securityContext: { seccomp: { profileType: 'Unconfined' } } } }));
        const pd = (await node.containerInfo(def)).pid;
        const pu = (await node.containerInfo(unc)).pid;
        expect(procStatus(pd, 'Seccomp')).toBe('2');
        expect(procStatus(pd, 'NoNewPrivs')).toBe('1');
        expect(procStatus(pu, 'Seccomp')).toBe('0');
        expect(procStatus(pu, 'NoNewPrivs')).toBe('0');
        const blocked = await node.cri.execSync(def, ['unshare', '-U', 'true'], 30);
        expect(blocked.exitCode).not.toBe(0);
        expect(blocked.stderr).toMatch(/Operation not permitted/);
        if (usernsOk) expect((await node.cri.execSync(unc, ['unshare', '-U', 'true'], 30)).exitCode).toBe(0);
      });
    }, T);

    // ------------------------------------------------------------------------------------------

    it('StopPodSandbox + RemovePodSandbox leave nothing: processes, netns, cgroups, runtime state, shim', async () => {
      const cfg = node.podConfig('gone');
      const pod = await node.runPod(cfg, handler);
      const id = await startContainer(pod, cfg, container('gone', ['sleep', '1000']));
      const sandbox = await node.sandboxInfo(pod);
      const pid = (await node.containerInfo(id)).pid;
      const netns = sandbox.runtimeSpec.linux?.namespaces?.find((n) => n.type === 'network')?.path ?? '';
      if (node.podNetwork) {
        expect(netns).toContain(node.dir);
        expect(mountsUnder(netns)).toEqual([netns]);
      }
      const cgroups = [...cgroupDirsOf(sandbox.pid), ...cgroupDirsOf(pid)];
      expect(cgroups.length).toBeGreaterThan(0);
      const runtimeRoot = join(node.dir, `${handler}-root`, CRI_NS);
      expect(existsSync(join(runtimeRoot, id))).toBe(true);
      await node.cri.stopPodSandbox(pod);
      expect((await node.cri.podSandboxStatus(pod)).status.state).toBe('SANDBOX_NOTREADY');
      expect((await status(id)).state).toBe('CONTAINER_EXITED');
      await node.removePod(pod);
      expect(pidAlive(sandbox.pid)).toBe(false);
      expect(pidAlive(pid)).toBe(false);
      if (netns) {
        expect(mountsUnder(netns)).toEqual([]);
        expect(existsSync(netns)).toBe(false);
      }
      expect(cgroups.filter((d) => existsSync(d))).toEqual([]);
      expect(existsSync(join(runtimeRoot, id))).toBe(false);
      expect(existsSync(join(runtimeRoot, pod))).toBe(false);
      expect(await node.cri.listContainers({ podSandboxId: pod })).toEqual([]);
      expect((await node.cri.listPodSandbox({ id: pod }))).toEqual([]);
      await waitFor('the shim exits', () => node.ctd.shimPids().length === 0, 30_000);
    }, T);
  });
});
