// Types for the pure parts of run.mjs (used by test/integration/validation-runner.test.ts).

export interface TapPoint {
  ok: boolean;
  n: number;
  desc: string;
  directive?: 'skip' | 'todo';
  reason?: string;
  yaml?: string;
}

export interface TapDoc {
  plan?: number;
  skipReason?: string;
  points: TapPoint[];
}

export interface Tap {
  docs: TapDoc[];
  points: TapPoint[];
  /** YAML blocks with no test point before them in their document. */
  orphans: string[];
  bailOut?: string;
  sawTap: boolean;
}

export interface ExitInfo {
  code: number;
  signal?: string;
  timedOut: boolean;
  timeoutSec: number;
  stderr: string;
}

export interface Verdict {
  pass: boolean;
  allSkipped: boolean;
  counts: { ok: number; notOk: number; skip: number; todo: number };
  why?: string;
}

export function parseTap(text: string): Tap;
export function judge(tap: Tap, exit: ExitInfo, opts?: { nodeTap?: boolean }): Verdict;
