// The public library API: the same lifecycle the CLI runs, as typed async functions.
//   const rt = new Runtime({ root: '/run/tsrun' });
//   await rt.create('c1', '/path/to/bundle');  await rt.start('c1');  await rt.state('c1');
import { loadBundle } from './config/load.js';
import { Logger, type LogOptions } from './io/log.js';
import { create, dryRunPlan, type CreateOptions } from './lifecycle/create.js';
import { destroy, kill, start } from './lifecycle/lifecycle.js';
import { loadSystemdDriver, recordNeedsSystemd } from './cgroups/systemd-slot.js';
import { run } from './lifecycle/run.js';
import { parseSignal } from './lifecycle/signals.js';
import type { InitPlan } from './plan/build.js';
import { StateStore, validateId, type PublicState } from './state/store.js';

export interface RuntimeOptions {
  /** State directory (default /run/tsrun). */
  root?: string;
  log?: Partial<LogOptions>;
}

export type LaunchOptions = Partial<Pick<CreateOptions, 'pidFile' | 'consoleSocket' | 'noPivot' | 'noNewKeyring' | 'preserveFds'>>;

export class Runtime {
  readonly store: StateStore;
  private readonly log: Logger;

  constructor(opts: RuntimeOptions = {}) {
    this.store = new StateStore(opts.root ?? '/run/tsrun');
    this.log = new Logger({ format: 'text', debug: false, ...opts.log });
  }

  private options(id: string, bundle: string, opts: LaunchOptions, detach: boolean): CreateOptions {
    validateId(id);
    return { id, bundle, detach, store: this.store, log: this.log, ...opts };
  }

  /** Creates the container; its process waits for start(). */
  async create(id: string, bundle: string, opts: LaunchOptions = {}): Promise<PublicState> {
    return this.store.publicState(create(this.options(id, bundle, opts, true)));
  }

  async start(id: string): Promise<void> {
    start(this.store, id);
  }

  async state(id: string): Promise<PublicState> {
    return this.store.publicState(this.store.read(id));
  }

  async list(): Promise<PublicState[]> {
    return this.store.list().filter((id) => this.store.exists(id)).map((id) => this.store.publicState(this.store.read(id)));
  }

  async kill(id: string, signal: number | string = 'TERM', opts: { all?: boolean } = {}): Promise<void> {
    kill(this.store, id, typeof signal === 'number' ? signal : parseSignal(signal), !!opts.all);
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    // A container made by `tsrun --systemd-cgroup`: its unit is stopped through the systemd driver.
    let needs = false;
    try { needs = recordNeedsSystemd(this.store.read(id)); } catch {}
    if (needs) await loadSystemdDriver();
    destroy(this.store, id, !!opts.force, this.log);
  }

  /** Creates, starts and waits for the container; resolves to its exit status (128+N for a signal). */
  async run(id: string, bundle: string, opts: LaunchOptions & { keep?: boolean } = {}): Promise<number> {
    return run({ ...this.options(id, bundle, opts, false), keep: opts.keep });
  }

  /** The launch plan for a bundle, without running anything (what `create --dry-run` prints). */
  plan(id: string, bundle: string, opts: LaunchOptions = {}): InitPlan {
    return dryRunPlan(loadBundle(bundle), this.options(id, bundle, opts, true));
  }
}

export { StateStore, validateId, type ContainerRecord, type PublicState } from './state/store.js';
export { loadBundle, type Bundle } from './config/load.js';
export { semanticProblems, launchProblems } from './config/semantic.js';
export { validationErrors } from './config/validate.js';
export { featuresDocument } from './features/features.js';
export { defaultSpec, rootlessSpec } from './config/default-spec.js';
export { makeBusyboxBundle, makeBusyboxRootfs } from './bundle/busybox.js';
export { formatPlan } from './plan/format.js';
export { TsrunError } from './errors.js';
export type { Spec } from './config/gen/config.js';
export type { InitPlan, Step } from './plan/build.js';
