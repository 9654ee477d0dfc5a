// Comparing two observations, section by section (an LCS line diff, so order counts), and the list
// of allowed differences (ALLOWED.md: each entry a reason and a ```json matcher) that may absorb them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sections } from './probe.js';

export interface Difference {
  section: string;
  /** Lines only runc has / only tsrun has (relative to their longest common subsequence). */
  runc: string[];
  tsrun: string[];
}

function lcsDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const n = a.length;
  const m = b.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  const onlyA: string[] = [];
  const onlyB: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { i++; j++; } else if (t[i + 1][j] >= t[i][j + 1]) onlyA.push(a[i++]); else onlyB.push(b[j++]);
  }
  while (i < n) onlyA.push(a[i++]);
  while (j < m) onlyB.push(b[j++]);
  return { onlyA, onlyB };
}

export function diffSections(runc: Sections, tsrun: Sections): Difference[] {
  const out: Difference[] = [];
  for (const k of [...new Set([...Object.keys(runc), ...Object.keys(tsrun)])]) {
    const { onlyA, onlyB } = lcsDiff(runc[k] ?? ['(section missing)'], tsrun[k] ?? ['(section missing)']);
    if (onlyA.length || onlyB.length) out.push({ section: k, runc: onlyA, tsrun: onlyB });
  }
  return out;
}

/** One allowed difference: where it applies, which lines it absorbs, and why it is allowed. */
export interface Allowed {
  id: string;
  /** Regex on the variation or scenario name. */
  where: string;
  /** Regex (whole name) on the section. */
  section: string;
  /** Regexes for the lines only runc / only tsrun show; a side without one must show no extra line. */
  runc?: string;
  tsrun?: string;
  reason: string;
  /** Only on this cgroup layout ("v1": v1 or hybrid; "v2": pure v2): a difference only one host shows. */
  host?: 'v1' | 'v2';
  /** How many times it matched in this run (stale entries are reported). */
  used?: number;
}

/** This host's cgroup layout, as Allowed.host names it. */
export const HOST_LAYOUT: 'v1' | 'v2' = (() => {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => / \/sys\/fs\/cgroup /.test(l) && / - cgroup2 /.test(l)) ? 'v2' : 'v1';
  } catch {
    return 'v1';
  }
})();

export const ALLOWED_FILE = join(__dirname, 'ALLOWED.md');

/** The entries of ALLOWED.md: each "## id" heading has its reason as text and a ```json matcher. */
export function loadAllowed(file = ALLOWED_FILE): Allowed[] {
  const text = readFileSync(file, 'utf8');
  const out: Allowed[] = [];
  const parts = text.split(/^## /m).slice(1);
  for (const p of parts) {
    const id = p.split('\n', 1)[0].trim();
    const json = /```json\n([\s\S]*?)```/.exec(p);
    if (!json) continue;
    const reason = p.slice(id.length).replace(/```json[\s\S]*?```/g, '').trim();
    const entries = JSON.parse(json[1]) as Omit<Allowed, 'id' | 'reason'> | Omit<Allowed, 'id' | 'reason'>[];
    for (const e of Array.isArray(entries) ? entries : [entries]) {
      if (!e.where || !e.section) throw new Error(`ALLOWED.md ${id}: a matcher needs "where" and "section"`);
      if (!reason) throw new Error(`ALLOWED.md ${id}: no reason`);
      if (!e.host || e.host === HOST_LAYOUT) out.push({ ...e, id, reason, used: 0 });
    }
  }
  return out;
}

/**
 * The differences no allowed entry absorbs. An entry absorbs the lines its regexes match in its
 * section where its `where` matches; a difference is gone when no line is left on either side.
 */
export function unexplained(name: string, diffs: Difference[], allowed: Allowed[]): { left: Difference[]; used: Allowed[] } {
  const left: Difference[] = [];
  const used: Allowed[] = [];
  for (const d of diffs) {
    let r = d.runc;
    let t = d.tsrun;
    for (const a of allowed) {
      if (!new RegExp(`^(?:${a.section})$`).test(d.section)) continue;
      if (!new RegExp(a.where).test(name)) continue;
      const rr = a.runc ? r.filter((l) => !new RegExp(a.runc!).test(l)) : r;
      const tt = a.tsrun ? t.filter((l) => !new RegExp(a.tsrun!).test(l)) : t;
      // An entry that names both sides is a pair: runc shows this where tsrun shows that. It
      // absorbs nothing unless both sides show their line.
      if (a.runc && a.tsrun && (rr.length === r.length || tt.length === t.length)) continue;
      if (rr.length !== r.length || tt.length !== t.length) {
        used.push(a);
        r = rr;
        t = tt;
      }
    }
    if (r.length || t.length) left.push({ section: d.section, runc: r, tsrun: t });
  }
  return { left, used };
}

export function formatDiffs(name: string, diffs: Difference[], extra = ''): string {
  const lines = [`${name}: ${diffs.length} unexplained difference(s)${extra ? `\n${extra}` : ''}`];
  for (const d of diffs) {
    lines.push(`  [${d.section}]`);
    for (const l of d.runc) lines.push(`    runc : ${l}`);
    for (const l of d.tsrun) lines.push(`    tsrun: ${l}`);
  }
  return lines.join('\n');
}

// ---- failures: the kind of failure and the words that name it, not the exact text ----

const ERRNO_PHRASES = [
  'operation not permitted', 'no such file or directory', 'permission denied', 'invalid argument', 'device or resource busy',
  'file exists', 'not a directory', 'is a directory', 'read-only file system', 'no such device', 'no such process',
  'bad file descriptor', 'exec format error', 'executable file not found', 'argument list too long',
  'resource temporarily unavailable', 'function not implemented', 'operation not supported', 'not supported',
  'no space left on device', 'too many levels of symbolic links', 'numerical result out of range', 'cannot allocate memory',
  'value too large', 'broken pipe', 'connection refused',
];

/** The messages of runc's log lines (`level=error msg="..."`), or the raw lines. */
export function runcMessages(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.trim()) continue;
    const m = /level=(\w+) msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) { if (m[1] === 'error' || m[1] === 'fatal') out.push(m[2].replace(/\\"/g, '"').replace(/\\\\/g, '\\')); }
    else if (/^\{"level"/.test(line)) { try { const j = JSON.parse(line); if (j.level === 'error') out.push(j.msg); } catch {} }
    else out.push(line);
  }
  return out;
}

/** tsrun's error lines (warnings left out). */
export function tsrunMessages(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !/^warning: /.test(l));
}

/** The errno-like phrases a message names (the part a failure's kind is told by). */
export function phrases(msg: string): string[] {
  const m = msg.toLowerCase();
  return ERRNO_PHRASES.filter((p) => m.includes(p)).filter((p, _, all) => !all.some((q) => q !== p && q.includes(p)));
}

/**
 * A failure as lines to compare: each errno phrase runc's message names (and whether tsrun's names it
 * too), and the keywords the variation says both must name. Where tsrun refuses a config before any
 * system call, its message names the problem in other words than the kernel's errno: the variation
 * then lists the words tsrun must use instead (`names`), and runc's errno phrase is not asked for.
 */
export function failureLines(runcErr: string, tsrunErr: string, keywords: string[], names?: string[]): { runc: string[]; tsrun: string[] } {
  const r = runcMessages(runcErr).join(' ');
  const t = tsrunMessages(tsrunErr).join(' ');
  const rl: string[] = [];
  const tl: string[] = [];
  for (const n of names ?? []) {
    tl.push(t.toLowerCase().includes(n.toLowerCase()) ? `names "${n}"` : `does not name "${n}" (says: ${t.slice(0, 300)})`);
    rl.push(`names "${n}"`);
  }
  for (const p of names ? [] : phrases(r)) {
    rl.push(`names "${p}"`);
    tl.push(t.toLowerCase().includes(p) ? `names "${p}"` : `does not name "${p}" (says: ${t.slice(0, 300)})`);
  }
  for (const k of keywords) {
    rl.push(r.toLowerCase().includes(k.toLowerCase()) ? `names "${k}"` : `does not name "${k}" (says: ${r.slice(0, 300)})`);
    tl.push(t.toLowerCase().includes(k.toLowerCase()) ? `names "${k}"` : `does not name "${k}" (says: ${t.slice(0, 300)})`);
  }
  return { runc: rl, tsrun: tl };
}
