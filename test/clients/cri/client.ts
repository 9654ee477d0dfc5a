// A CRI (runtime.v1) client for the tests, as kubelet talks to containerd: gRPC over a unix socket,
// with the messages of runtime-v1.proto. Field names are camelCase (proto-loader's default), enums
// come back as their names, int64 values as numbers: nanosecond timestamps lose their last digits
// that way (they are above 2^53), which no test compares at that precision.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export type Labels = Record<string, string>;

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: { servers?: string[]; searches?: string[]; options?: string[] };
  labels?: Labels;
  annotations?: Labels;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: NamespaceOption;
      runAsUser?: { value: number };
      readonlyRootfs?: boolean;
      privileged?: boolean;
      seccomp?: SecurityProfile;
    };
    sysctls?: Labels;
  };
}

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export interface NamespaceOption { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode; targetId?: string }
export interface SecurityProfile { profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostRef?: string }

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  unified?: Labels;
  memorySwapLimitInBytes?: number;
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: Array<{ key: string; value: string }>;
  mounts?: Array<{ containerPath: string; hostPath: string; readonly?: boolean; propagation?: string }>;
  labels?: Labels;
  annotations?: Labels;
  logPath?: string;
  stdin?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    securityContext?: {
      capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
      privileged?: boolean;
      namespaceOptions?: NamespaceOption;
      runAsUser?: { value: number };
      runAsGroup?: { value: number };
      readonlyRootfs?: boolean;
      supplementalGroups?: number[];
      noNewPrivs?: boolean;
      maskedPaths?: string[];
      readonlyPaths?: string[];
      seccomp?: SecurityProfile;
    };
  };
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  logPath: string;
  resources?: { linux?: LinuxContainerResources };
}

export interface PodSandboxStatus {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  network?: { ip: string; additionalIps: Array<{ ip: string }> };
  runtimeHandler: string;
}

interface UValue { value: number }
export interface ContainerStats {
  attributes: { id: string; metadata: { name: string } };
  cpu?: { timestamp: number; usageCoreNanoSeconds?: UValue; usageNanoCores?: UValue };
  memory?: { timestamp: number; workingSetBytes?: UValue; availableBytes?: UValue; usageBytes?: UValue; rssBytes?: UValue; pageFaults?: UValue; majorPageFaults?: UValue };
  writableLayer?: { usedBytes?: UValue; inodesUsed?: UValue };
}

/** A failed call: the method, the gRPC status name and containerd's message. */
export class CriError extends Error {
  constructor(readonly method: string, readonly code: string, readonly details: string) {
    super(`CRI ${method} failed: ${code}: ${details}`);
  }
}

type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly image: grpc.Client;

  constructor(readonly socket: string, private readonly defaultTimeoutMs = 60_000) {
    const def = protoLoader.loadSync(join(__dirname, 'runtime-v1.proto'), { longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } };
    const creds = grpc.credentials.createInsecure();
    // kubelet's own limit; containerd's responses (e.g. verbose info) can be large.
    const opts = { 'grpc.max_receive_message_length': 16 << 20 };
    this.runtime = new pkg.runtime.v1.RuntimeService(`unix://${socket}`, creds, opts);
    this.image = new pkg.runtime.v1.ImageService(`unix://${socket}`, creds, opts);
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }

  private call<T>(client: grpc.Client, method: string, req: object, timeoutMs = this.defaultTimeoutMs): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    return new Promise((resolve, reject) => {
      fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new CriError(method, grpc.status[err.code] ?? String(err.code), err.details));
        else resolve(res as T);
      });
    });
  }

  version() {
    return this.call<{ version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>(this.runtime, 'Version', { version: 'v1' });
  }

  status() {
    return this.call<{ status: { conditions: Array<{ type: string; status: boolean; reason: string; message: string }> }; info: Labels }>(this.runtime, 'Status', { verbose: true });
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler: string, timeoutMs?: number): Promise<string> {
    return (await this.call<{ podSandboxId: string }>(this.runtime, 'RunPodSandbox', { config, runtimeHandler }, timeoutMs)).podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { podSandboxId });
  }

  /** The status and, verbose, containerd's info (info.info is JSON with pid and runtimeSpec). */
  podSandboxStatus(podSandboxId: string) {
    return this.call<{ status: PodSandboxStatus; info: Labels }>(this.runtime, 'PodSandboxStatus', { podSandboxId, verbose: true });
  }

  async listPodSandbox(filter: { id?: string; labelSelector?: Labels } = {}) {
    return (await this.call<{ items: Array<{ id: string; metadata: { name: string }; state: string; labels: Labels; runtimeHandler: string }> }>(this.runtime, 'ListPodSandbox', { filter })).items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return (await this.call<{ containerId: string }>(this.runtime, 'CreateContainer', { podSandboxId, config, sandboxConfig })).containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { containerId });
  }

  /** `timeout` is the grace period in seconds before SIGKILL. */
  async stopContainer(containerId: string, timeout: number): Promise<void> {
    await this.call(this.runtime, 'StopContainer', { containerId, timeout }, (timeout + 30) * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { containerId });
  }

  async listContainers(filter: { id?: string; podSandboxId?: string; labelSelector?: Labels } = {}) {
    return (await this.call<{ containers: Array<{ id: string; podSandboxId: string; metadata: { name: string }; state: ContainerState; labels: Labels }> }>(this.runtime, 'ListContainers', { filter })).containers;
  }

  containerStatus(containerId: string) {
    return this.call<{ status: ContainerStatus; info: Labels }>(this.runtime, 'ContainerStatus', { containerId, verbose: true });
  }

  async updateContainerResources(containerId: string, linux: LinuxContainerResources): Promise<void> {
    await this.call(this.runtime, 'UpdateContainerResources', { containerId, linux });
  }

  /** `timeout` in seconds (0: none). stdout and stderr are decoded as UTF-8. */
  async execSync(containerId: string, cmd: string[], timeout = 0): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const r = await this.call<{ stdout: Buffer; stderr: Buffer; exitCode: number }>(this.runtime, 'ExecSync', { containerId, cmd, timeout }, (timeout || 60) * 1000 + 30_000);
    return { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), exitCode: r.exitCode };
  }

  async containerStats(containerId: string): Promise<ContainerStats> {
    return (await this.call<{ stats: ContainerStats }>(this.runtime, 'ContainerStats', { containerId })).stats;
  }

  async listContainerStats(filter: { id?: string; podSandboxId?: string; labelSelector?: Labels } = {}): Promise<ContainerStats[]> {
    return (await this.call<{ stats: ContainerStats[] }>(this.runtime, 'ListContainerStats', { filter })).stats;
  }

  async listImages() {
    return (await this.call<{ images: Array<{ id: string; repoTags: string[]; size: number }> }>(this.image, 'ListImages', { filter: {} })).images;
  }

  async imageStatus(image: string) {
    return (await this.call<{ image: { id: string; repoTags: string[] } | null }>(this.image, 'ImageStatus', { image: { image } })).image;
  }
}
