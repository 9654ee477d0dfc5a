// The launch plan as readable text (`tsrun create --dry-run`): one numbered step per line, with the
// config field it comes from and the exact operation tsrun-init will perform.
import type { InitPlan } from './build.js';

function value(v: unknown): string {
  if (typeof v === 'bigint') return v > 0xffffn ? `0x${v.toString(16)}` : String(v);
  if (typeof v === 'number') return v > 0xffff ? `0x${v.toString(16)}` : String(v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return `[${v.map(value).join(' ')}]`;
  return JSON.stringify(v);
}

export function formatPlan(plan: InitPlan): string {
  const lines = plan.steps.map((s, i) => {
    const { op, ...fields } = s.op as unknown as Record<string, unknown>;
    const args = Object.entries(fields).filter(([, v]) => v !== '' && v !== 0 && !(Array.isArray(v) && !v.length)).map(([k, v]) => `${k}=${value(v)}`).join(' ');
    return `${String(i).padStart(3)}  ${s.what}${s.configPath ? `  (${s.configPath})` : ''}\n       ${op} ${args}`;
  });
  const extra: string[] = [];
  if (plan.usermap) extra.push(`uid_map: ${plan.usermap.uidMap.trim().replace(/\n/g, '; ')}`, `gid_map: ${plan.usermap.gidMap.trim().replace(/\n/g, '; ')}`);
  if (plan.timeOffsets) extra.push(`timens_offsets: ${plan.timeOffsets.trim().replace(/\n/g, '; ')}`);
  if (plan.runtimeHooks) extra.push('prestart/createRuntime hooks run by the runtime at the hooks sync');
  return `${lines.join('\n')}\n${extra.map((e) => `runtime: ${e}\n`).join('')}`;
}
