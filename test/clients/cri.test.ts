// Kubernetes' path to tsrun, end to end: containerd 1.6 with its CRI plugin, started by hand (cri/env.ts),
// runtime handlers `tsrun` (io.containerd.runc.v2 with BinaryName = the tsrun under test) and `runc`,
// driven over runtime.v1 gRPC as kubelet drives it. The same scenarios run on both handlers: what
// works with runc here must work with tsrun. Installs nothing: .ci/run installs containerd and CNI.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { CriError, type ContainerConfig, type PodSandboxConfig } from './cri/client.js';
import { BUSYBOX_IMAGE, CriNode, PAUSE_IMAGE } from './cri/env.js';
import { waitFor } from './harness.js';
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

// runc comparison in the default pass only: the other passes (TSRUN_BIN) test other builds of tsrun.
const HANDLERS = (process.env.TSRUN_CRI_HANDLERS ?? (process.env.TSRUN_BIN ? 'tsrun' : 'tsrun,runc')).split(',').filter(Boolean);

const nsInode = (pid: number, ns: string) => readlinkSync(`/proc/${pid}/ns/${ns}`);

describe.skipIf(skip)('containerd CRI drives tsrun as a RuntimeClass handler', () => {
  let node: CriNode;
  const t0 = Date.now();

  beforeAll(async () => {
    node = new CriNode({ systemd: process.env.TSRUN_CRI_SYSTEMD === '1' });
    await node.start();
    console.log(`[cri] handlers ${HANDLERS.join(', ')}; node ready (snapshotter ${node.ctd.snapshotter}) in ${Date.now() - t0} ms, dir ${node.dir}`);
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
  });

  describe.each(HANDLERS)('handler %s', (handler) => {
    const container = (name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
      metadata: { name: `cri-${name}` },
      image: { image: BUSYBOX_IMAGE },
      command,
      logPath: `${name}.log`,
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

    /** CreateContainer + StartContainer; returns the id. */
    async function startContainer(pod: string, podCfg: PodSandboxConfig, cfg: ContainerConfig): Promise<string> {
      const id = await node.cri.createContainer(pod, cfg, podCfg);
      await node.cri.startContainer(id);
      return id;
    }

    it('RunPodSandbox with host networking: the sandbox runs on the handler, in the host netns', async () => {
      // kubelet sets no hostname for a host-network pod (the pod has the node's UTS namespace).
      const cfg = node.podConfig('hostnet', { hostname: '', linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } });
      await withPod(cfg, async (pod) => {
        const st = (await node.cri.podSandboxStatus(pod)).status;
        expect(st.state).toBe('SANDBOX_READY');
        expect(st.runtimeHandler).toBe(handler);
        const { pid } = await node.sandboxInfo(pod);
        expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('/pause\0');
        expect(nsInode(pid, 'net')).toBe(nsInode(process.pid, 'net'));
        expect(nsInode(pid, 'pid')).not.toBe(nsInode(process.pid, 'pid'));
      });
    }, 90_000);

    it('RunPodSandbox with its own netns: CNI gives it an address on the bridge, no default route', async () => {
      const cfg = node.podConfig('podnet');
      await withPod(cfg, async (pod) => {
        const st = (await node.cri.podSandboxStatus(pod)).status;
        expect(st.state).toBe('SANDBOX_READY');
        expect(st.network?.ip).toMatch(new RegExp(`^${node.subnetPrefix.replace(/\./g, '\\.')}\\.\\d+$`));
        const { pid } = await node.sandboxInfo(pod);
        expect(nsInode(pid, 'net')).not.toBe(nsInode(process.pid, 'net'));
        const c = await startContainer(pod, cfg, container('ip', ['sleep', '1000']));
        const r = await node.cri.execSync(c, ['sh', '-c', 'ip -4 addr show eth0; echo ---; ip route'], 10);
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stdout).toContain(`inet ${st.network!.ip}/24`);
        expect(r.stdout).not.toContain('default');
      });
    }, 90_000);
  });
});
