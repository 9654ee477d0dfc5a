// The node for the CRI tests: containerd with its CRI plugin (runtime handlers `tsrun` and `runc`,
// both io.containerd.runc.v2 with their own BinaryName and Root), a CNI bridge network of its own,
// a pause image and a busybox image built here, and a CRI client. Everything containerd, the shims,
// CNI and the containers keep lives under one temp dir, except what cannot be moved (the shims'
// sockets in /run/containerd/s, libcni's result cache in /var/lib/cni, the bridge, the cgroups):
// `stop` removes exactly what this node made there.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../../src/config/gen/config.js';
import { TSRUN, which } from '../../helpers/env.js';
import { Containerd, missingGlobalDirs, teardown } from '../daemons.js';
import { expectOk, rmrf, sh } from '../harness.js';
import { buildBusyboxImage, buildImage, ociArchive, tar } from '../image.js';
import { CriClient, type PodSandboxConfig } from './client.js';

export const PAUSE_IMAGE = 'docker.io/tsrun-test/pause:latest';
export const BUSYBOX_IMAGE = 'docker.io/tsrun-test/busybox:latest';
export const CRI_NS = 'k8s.io';

/** What `tsrun`'s handler runs: the tsrun under test (TSRUN_BIN or bin/tsrun). */
export const TSRUN_HANDLER_BIN = TSRUN;
export const RUNC_BIN = which('runc') ?? '/usr/sbin/runc';

/** The static pause binary, compiled from pause.c (musl-gcc like tsrun-init, else gcc -static). */
function buildPause(out: string): Buffer {
  const src = join(__dirname, 'pause.c');
  const cc = existsSync('/usr/bin/musl-gcc') ? 'musl-gcc' : 'gcc';
  execFileSync(cc, ['-static', '-Os', '-s', '-o', out, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(out);
}

function pauseLayer(bin: Buffer): Buffer {
  return tar([
    ...['dev/', 'etc/', 'proc/', 'sys/'].map((name) => ({ name, type: 'dir' as const })),
    { name: 'pause', type: 'file', mode: 0o755, data: bin },
  ]);
}

/** CAP_SYS_RESOURCE (24) in our bounding set? */
function hasCapSysResource(): boolean {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return !!m && (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n;
}

export interface CriNodeOptions {
  /** SystemdCgroup = true for both handlers (a host whose cgroups systemd manages). */
  systemd?: boolean;
}

export class CriNode {
  readonly dir: string;
  readonly ctd: Containerd;
  readonly cri: CriClient;
  /** A short unique suffix: the bridge, the CNI network and the cgroup parent are named with it. */
  readonly tag: string;
  readonly bridge: string;
  readonly network: string;
  readonly subnetPrefix: string;
  /** The cgroup parent of every pod: /<cgroupRoot>/<pod> with cgroupfs, <cgroupRoot>.slice with systemd. */
  readonly cgroupRoot: string;
  readonly logRoot: string;
  /** The pods' slice with SystemdCgroup (a dash would nest it in another slice). */
  readonly systemdSlice: string;
  private readonly globalMissing: string[];
  private readonly cniCacheMissing: boolean;
  /**
   * Whether pods can have their own network (the kernel can make the CNI bridge). Without it (the
   * cgroup v2 test VM's kernel has no bridge module) pods use the host network, and the tests that
   * need a pod network say they are skipped.
   */
  readonly podNetwork: boolean;
  private readonly pods = new Set<string>();
  private podCount = 0;

  constructor(readonly opts: CriNodeOptions = {}) {
    this.tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`;
    this.dir = mkdtempSync('/tmp/tsrun-cri-');
    chmodSync(this.dir, 0o755);
    this.bridge = `cri-br${this.tag}`.slice(0, 15);
    this.network = `cri-net-${this.tag}`;
    // 10.123.N.0/24: the bridge gets no address and the pods no default route, so nothing leaves
    // the namespaces this node made, and another node's subnet on another bridge does not matter.
    this.subnetPrefix = `10.123.${process.pid % 250}`;
    this.cgroupRoot = `cri-${this.tag}`;
    this.systemdSlice = `cri${this.tag}.slice`;
    this.logRoot = join(this.dir, 'logs');
    mkdirSync(this.logRoot);
    this.globalMissing = missingGlobalDirs();
    this.cniCacheMissing = !existsSync('/var/lib/cni');
    this.podNetwork = sh(['ip', 'link', 'add', 'name', this.bridge, 'type', 'bridge'], { timeout: 10_000 }).code === 0;
    if (this.podNetwork) sh(['ip', 'link', 'del', this.bridge], { timeout: 10_000 });
    const cniConf = join(this.dir, 'cni', 'net.d');
    mkdirSync(cniConf, { recursive: true });
    writeFileSync(
      join(cniConf, '10-cri.conf'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: this.network,
        type: 'bridge',
        bridge: this.bridge,
        isGateway: false,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: `${this.subnetPrefix}.0/24` }]], dataDir: join(this.dir, 'cni', 'ipam') },
      }),
    );
    const q = JSON.stringify;
    const runtime = (name: string, bin: string) => [
      `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}]`,
      '  runtime_type = "io.containerd.runc.v2"',
      `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}.options]`,
      `  BinaryName = ${q(bin)}`,
      `  Root = ${q(join(this.dir, `${name}-root`))}`,
      `  SystemdCgroup = ${!!opts.systemd}`,
    ];
    this.ctd = new Containerd(join(this.dir, 'd'), (snapshotter) => [
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = ${q(PAUSE_IMAGE)}`,
      // The streaming server (Exec/Attach/PortForward URLs) is not used, but it listens: loopback only.
      '  stream_server_address = "127.0.0.1"',
      '  stream_server_port = "0"',
      '  enable_selinux = false',
      '  disable_apparmor = true',
      // Lowering oom_score_adj (the sandbox asks for -998) needs CAP_SYS_RESOURCE, which this VM's
      // bounding set lacks: restrict it to containerd's own, as containerd in a user namespace does.
      `  restrict_oom_score_adj = ${!hasCapSysResource()}`,
      '  netns_mounts_under_state_dir = true',
      '[plugins."io.containerd.grpc.v1.cri".containerd]',
      `  snapshotter = ${q(snapshotter)}`,
      '  default_runtime_name = "runc"',
      ...runtime('tsrun', TSRUN_HANDLER_BIN),
      ...runtime('runc', RUNC_BIN),
      '[plugins."io.containerd.grpc.v1.cri".cni]',
      '  bin_dir = "/usr/lib/cni"',
      `  conf_dir = ${q(cniConf)}`,
      '  max_conf_num = 1',
      '[plugins."io.containerd.grpc.v1.cri".registry]',
      `  config_path = ${q(join(this.dir, 'certs.d'))}`,
    ]);
    this.cri = new CriClient(this.ctd.address);
  }

  async start(): Promise<void> {
    await this.ctd.waitReady(30_000);
    const pauseBin = buildPause(join(this.dir, 'pause'));
    const images: Array<[string, Buffer]> = [
      ['pause.tar', ociArchive(buildImage(PAUSE_IMAGE, pauseLayer(pauseBin), { Entrypoint: ['/pause'] }))],
      ['busybox.tar', ociArchive(buildBusyboxImage(BUSYBOX_IMAGE))],
    ];
    for (const [name, data] of images) {
      const path = join(this.dir, name);
      writeFileSync(path, data);
      expectOk(this.ctd.ctr(['--namespace', CRI_NS, 'images', 'import', '--snapshotter', this.ctd.snapshotter, path], { timeout: 60_000 }), `ctr -n ${CRI_NS} images import ${name}`);
    }
  }

  /** The config of a new pod: unique name and uid, its own log dir and cgroup parent. */
  podConfig(name: string, extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
    const n = ++this.podCount;
    const uid = `${this.tag}-${n}`;
    const logDirectory = join(this.logRoot, `${name}-${n}`);
    mkdirSync(logDirectory, { recursive: true });
    // systemd reads a dash in a slice name as nesting (a-b.slice is in a.slice): one top-level slice.
    const cgroupParent = this.opts.systemd ? this.systemdSlice : `/${this.cgroupRoot}/pod${n}`;
    // As kubelet sends them: the pod's own netns and IPC, a PID namespace per container unless the
    // pod shares one (shareProcessNamespace: pid POD). The enum's zero value is POD, so say CONTAINER.
    // Without a pod network, the host's (and then no hostname: kubelet sends none for those pods).
    const sc = extra.linux?.securityContext;
    const network = sc?.namespaceOptions?.network ?? (this.podNetwork ? 'POD' : 'NODE');
    return {
      metadata: { name: `cri-${name}`, uid, namespace: 'cri-test', attempt: 0 },
      hostname: network === 'NODE' ? '' : `cri-${name}`,
      logDirectory,
      labels: { 'tsrun-test': this.tag },
      ...extra,
      linux: { cgroupParent, ...extra.linux, securityContext: { ...sc, namespaceOptions: { pid: 'CONTAINER', ipc: 'POD', ...sc?.namespaceOptions, network } } },
    };
  }

  /** RunPodSandbox, remembering the pod for the teardown. */
  async runPod(config: PodSandboxConfig, handler: string): Promise<string> {
    const id = await this.cri.runPodSandbox(config, handler, 90_000);
    this.pods.add(id);
    this.ctd.tasks.push([CRI_NS, id]);
    return id;
  }

  /** StopPodSandbox + RemovePodSandbox (which stop and remove the pod's containers too). */
  async removePod(id: string): Promise<void> {
    await this.cri.stopPodSandbox(id);
    await this.cri.removePodSandbox(id);
    this.pods.delete(id);
  }

  /** The sandbox's pid and OCI spec, from PodSandboxStatus's verbose info. */
  async sandboxInfo(id: string): Promise<{ pid: number; runtimeSpec: Spec }> {
    const st = await this.cri.podSandboxStatus(id);
    return JSON.parse(st.info.info);
  }

  /** The container's pid and OCI spec, from ContainerStatus's verbose info. */
  async containerInfo(id: string): Promise<{ pid: number; runtimeSpec: Spec }> {
    const st = await this.cri.containerStatus(id);
    return JSON.parse(st.info.info);
  }

  /** Stops and removes every pod, stops containerd, and removes everything this node made. */
  async stop(): Promise<{ leftovers: string[]; notes: string[] }> {
    const notes: string[] = [];
    if (this.ctd.daemon.running) {
      // Pods we did not remove (a failed test) and any the CRI plugin still lists.
      let listed: string[] = [];
      try {
        listed = (await this.cri.listPodSandbox()).map((p) => p.id);
      } catch (e) {
        notes.push(`ListPodSandbox: ${(e as Error).message}`);
      }
      for (const id of new Set([...this.pods, ...listed])) {
        try {
          await this.removePod(id);
          notes.push(`removed leftover pod ${id.slice(0, 12)}`);
        } catch (e) {
          notes.push(`could not remove pod ${id.slice(0, 12)}: ${(e as Error).message}`);
        }
      }
      this.ctd.removeAll(CRI_NS);
    }
    this.cri.close();
    // Everything containerd knows of is in the tasks list by now (teardown adds the rest).
    const rep = await teardown({ dir: this.dir, daemons: [this.ctd.daemon], containerd: this.ctd, cgroupParents: this.opts.systemd ? [this.systemdSlice] : [this.cgroupRoot], globalMissingBefore: this.globalMissing });
    notes.push(...rep.notes);
    const leftovers = [...rep.leftovers];
    // The bridge (the CNI plugin leaves it when the last veth goes).
    if (existsSync(`/sys/class/net/${this.bridge}`)) sh(['ip', 'link', 'del', this.bridge], { timeout: 10_000 });
    if (existsSync(`/sys/class/net/${this.bridge}`)) leftovers.push(`bridge ${this.bridge}`);
    // libcni caches each attachment's result as /var/lib/cni/results/<network>-<sandbox>-<ifname>.
    const results = '/var/lib/cni/results';
    try {
      for (const f of readdirSync(results)) if (f.startsWith(`${this.network}-`)) rmrf(join(results, f));
    } catch {
      /* none */
    }
    if (this.cniCacheMissing) {
      for (const d of [results, '/var/lib/cni']) {
        try {
          rmdirSync(d);
        } catch {
          /* not empty (another user) or gone */
        }
      }
    }
    try {
      for (const f of readdirSync(results)) if (f.startsWith(`${this.network}-`)) leftovers.push(`cni cache ${join(results, f)}`);
    } catch {
      /* gone */
    }
    return { leftovers, notes };
  }
}
