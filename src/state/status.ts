// A container's status is derived, never trusted from disk: the stored pid must still be the same
// process (same start time in /proc/<pid>/stat, so a reused pid is not taken for the container).
import { readFileSync } from '../sys/fs.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface ProcStat {
  state: string;
  ppid: number;
  starttime: number;
}

/** Fields of /proc/<pid>/stat after the comm field (which may itself hold spaces and parens). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); starttime is field 22.
  return { state: rest[0], ppid: Number(rest[1]), starttime: Number(rest[19]) };
}

/** Whether pid is alive and is still the process that had this start time (zombies count as gone). */
export function isSameProcess(pid: number, starttime: number | undefined): boolean {
  if (!pid) return false;
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return starttime === undefined || st.starttime === starttime;
}
