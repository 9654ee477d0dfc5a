// Numbers of LinuxResources (number, or bigint past 2^53, or a decimal string once stored in
// state.json) and runc's v1 -> v2 conversions.

export type Num = number | bigint | string;

/** The value as a bigint; undefined when absent. */
export function big(v: Num | undefined | null): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return /^-?\d+$/.test(v.trim()) ? BigInt(v.trim()) : undefined;
}

/** Present and not 0: Docker sends 0 for "unset" and runc skips it. */
export const nonZero = (v: Num | undefined | null): boolean => {
  const b = big(v);
  return b !== undefined && b !== 0n;
};

/** Decimal text of a value (bigints printed exactly). */
export const dec = (v: Num): string => String(big(v) ?? v);

/**
 * cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000) as runc 1.3.2+ and 1.4 do (opencontainers/cgroups
 * ConvertCPUSharesToCgroupV2Value, runc PR #4785; crun 1.23 too): a quadratic in log2(shares) through
 * (2,1), (1024,100), (262144,10000), so the v1 default 1024 maps to the v2 default 100. runc <= 1.3.1
 * used the linear 1 + (shares-2)*9999/262142 (1024 -> 39). 0 means unset.
 */
export function sharesToWeight(shares: bigint): bigint {
  if (shares === 0n) return 0n;
  if (shares <= 2n) return 1n;
  if (shares >= 262144n) return 10000n;
  const l = Math.log2(Number(shares));
  const exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return BigInt(Math.ceil(10 ** exponent));
}

/** blkio.weight (10..1000) -> io.weight (1..10000). 0 means unset. */
export function blkioToIoWeight(weight: bigint): bigint {
  if (weight === 0n) return 0n;
  return 1n + ((weight - 10n) * 9999n) / 990n;
}

/**
 * The spec's memory.swap is memory+swap (v1 memsw); v2's memory.swap.max is swap only.
 * Returns the v2 value (-1 = max, 0 = unset) or throws the reason, as runc's ConvertMemorySwapToCgroupV2Value.
 */
export function memorySwapToV2(memorySwap: bigint, memory: bigint): bigint {
  if (memory === -1n && memorySwap === 0n) return -1n;
  if (memorySwap === -1n || memorySwap === 0n) return memorySwap;
  if (memory === -1n) return memorySwap;
  if (memory === 0n) throw new Error('unable to set swap limit without memory limit');
  if (memory < 0n) throw new Error(`invalid memory value: ${memory}`);
  if (memorySwap < memory) throw new Error('memory+swap limit should be >= memory limit');
  return memorySwap - memory;
}

/** pids.max text: >0 as is, 0 -> "1" (runc: systemd cannot set 0, both drivers agree), <0 -> "max". */
export function pidsMax(limit: bigint): string {
  // runtime-spec 1.3: 0 is a real limit (no new process). tsrun sets it after the init exists, so the
  // init's own fork is not refused by it.
  return limit >= 0n ? String(limit) : 'max';
}

/** v2 limit text: -1 -> "max", 0 -> unset (""). */
export function v2Limit(v: bigint): string {
  if (v === 0n) return '';
  if (v === -1n) return 'max';
  return String(v);
}

/** docker/go-units RAMInBytes: "64m", "1.5GiB", "1024" (binary multipliers). */
export function ramInBytes(s: string): bigint {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const mult: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
  const n = Number(m[1]);
  if (!Number.isFinite(n)) throw new Error(`invalid size: '${s}'`);
  if (!m[2]) return BigInt(Math.trunc(n));
  return BigInt(Math.trunc(n * mult[m[2].toLowerCase()]));
}
