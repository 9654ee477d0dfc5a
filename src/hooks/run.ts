// Runs OCI hooks in the runtime's namespaces: the state JSON on stdin, the hook's own env and args,
// killed on timeout. A hook that does not read its stdin is fine (EPIPE is ignored).
// As runc (Go's exec.Cmd with a nil Env): a hook without `env` gets the runtime's own environment.
import { createRequire } from 'node:module';
import type { Hook } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { sys } from '../sys/index.js';
import { errnoNumber } from '../sys/errno.js';

export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export interface HookOptions {
  /** Working directory (runc: the bundle for the hooks `create` runs, the caller's for the others). */
  cwd?: string;
}

export function runHook(kind: HookKind, index: number, hook: Hook, stateJson: string, opts: HookOptions = {}): void {
  // child_process costs several ms to load: only commands that run hooks pay for it.
  const { spawnSync } = createRequire(__filename)('node:child_process') as typeof import('node:child_process');
  const args = hook.args?.length ? hook.args : [hook.path];
  // What tsrun's caller left open (not close-on-exec) is not the hook's business: runc's hooks get only
  // their stdio. (Node's spawnSync passes such fds on; Bun's does not.) The container's own fds were
  // laid out for tsrun-init already.
  sys().cloexecFrom(3);
  const r = spawnSync(hook.path, args.slice(1), {
    // (detached is honoured by spawnSync in Node and Bun, though Node's types leave it out.)
    argv0: args[0],
    env: hook.env ? Object.fromEntries(hook.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : process.env,
    cwd: opts.cwd,
    input: stateJson,
    timeout: hook.timeout ? hook.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    // Its own process group, so that a timeout kills what the hook started too (a shell's children).
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
  } as Parameters<typeof spawnSync>[2] & { encoding: 'utf8' });
  const where = `hooks.${kind}[${index}]`;
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const tail = output ? `, output: ${output.slice(-500)}` : '';
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') {
    if ((r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
      if (r.pid) try { process.kill(-r.pid, 'SIGKILL'); } catch {}
      throw fail(`${kind} hook ${hook.path} timed out after ${hook.timeout}s and was killed`, { configPath: where });
    }
    // The errno's text, as runc's "fork/exec PATH: no such file or directory": Node says only
    // "spawnSync PATH ENOENT", Bun spells it out.
    const errno = errnoNumber((r.error as NodeJS.ErrnoException).code ?? '');
    throw fail(`run ${kind} hook ${hook.path}`, errno !== undefined ? { configPath: where, errno } : { configPath: where, detail: (r.error as Error).message });
  }
  if (r.signal) throw fail(`${kind} hook ${hook.path} was killed by ${r.signal}${tail}`, { configPath: where });
  if (r.status !== 0) throw fail(`${kind} hook ${hook.path} exited with status ${r.status}${tail}`, { configPath: where });
}

export function runHooks(kind: HookKind, hooks: Hook[] | undefined, stateJson: string, opts: HookOptions = {}): void {
  for (const [i, h] of (hooks ?? []).entries()) runHook(kind, i, h, stateJson, opts);
}
