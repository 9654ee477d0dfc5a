// `ps` in table form without running ps(1): the columns of `ps -ef` (UID PID PPID C STIME TTY TIME CMD)
// built from /proc for the container's pids.
import { readFileSync } from '../sys/fs.js';
import { readProcStat } from '../state/status.js';

const HZ = 100;

function users(): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] && f[2] && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]);
    }
  } catch {}
  return m;
}

function bootTime(): number {
  const m = /^btime (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function ttyName(ttyNr: number): string {
  if (!ttyNr) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4 && minor < 64) return `tty${minor}`;
  if (major === 4) return `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return 'console';
  return '?';
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function formatStime(start: Date, now: Date): string {
  if (start.toDateString() === now.toDateString()) return `${pad2(start.getHours())}:${pad2(start.getMinutes())}`;
  if (start.getFullYear() === now.getFullYear()) return `${MONTHS[start.getMonth()]}${pad2(start.getDate())}`;
  return String(start.getFullYear());
}

export function formatCpuTime(secs: number): string {
  const d = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = Math.floor(secs % 60);
  return `${d ? `${d}-` : ''}${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

interface Row { uid: string; pid: string; ppid: string; c: string; stime: string; tty: string; time: string; cmd: string }

function row(pid: number, names: Map<number, string>, boot: number, uptime: number, now: Date): Row | undefined {
  let stat: string, status: string, cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ps = readProcStat(pid);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const start = Number(f[19]) / HZ;
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const elapsed = Math.max(uptime - start, 0.001);
  const cpu = Math.min(99, Math.floor((((utime + stime) / HZ) / elapsed) * 100));
  const args = cmdline.split('\0').filter((a, i, all) => a || i < all.length - 1).join(' ').trim();
  return {
    uid: names.get(uid) ?? String(uid),
    pid: String(pid),
    ppid: String(ps?.ppid ?? f[1]),
    c: String(cpu),
    stime: formatStime(new Date((boot + start) * 1000), now),
    tty: ttyName(Number(f[4])),
    time: formatCpuTime((utime + stime) / HZ),
    cmd: args || `[${comm}]`,
  };
}

/** The `ps -ef` table of the given pids (procps' column layout). */
export function psTable(pids: number[]): string {
  const names = users();
  const boot = bootTime();
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const now = new Date();
  const rows = pids.map((p) => row(p, names, boot, uptime, now)).filter((r): r is Row => !!r);
  const w = (k: keyof Row, min: number) => Math.max(min, ...rows.map((r) => r[k].length));
  const [wu, wp, wpp, wt] = [w('uid', 8), w('pid', 5), w('ppid', 5), w('tty', 8)];
  const line = (r: Row) => `${r.uid.padEnd(wu)} ${r.pid.padStart(wp)} ${r.ppid.padStart(wpp)} ${r.c.padStart(2)} ${r.stime.padEnd(5)} ${r.tty.padEnd(wt)} ${r.time.padStart(8)} ${r.cmd}`;
  const header = `${'UID'.padEnd(wu)} ${'PID'.padStart(wp)} ${'PPID'.padStart(wpp)} ${'C'.padStart(2)} ${'STIME'.padEnd(5)} ${'TTY'.padEnd(wt)} ${'TIME'.padStart(8)} CMD`;
  return [header, ...rows.map(line)].join('\n') + '\n';
}
