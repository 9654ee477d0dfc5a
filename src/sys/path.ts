// POSIX path helpers with node:path's semantics for the calls tsrun makes. Why not node:path: under
// Bun it is a JS module compiled at first use (~1 ms of a ~10 ms `tsrun state`, measured).

/** Resolves `.`, `..` and repeated slashes; keeps a leading `/`; "" becomes ".". */
export function normalize(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  const s = (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
  return p.endsWith('/') && s !== '/' ? `${s}/` : s;
}

export function join(...parts: string[]): string {
  const s = parts.filter((p) => p !== '').join('/');
  return s === '' ? '.' : normalize(s);
}

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** Absolute and normalized: the last absolute argument wins, relative ones are taken from the cwd. */
export function resolve(...parts: string[]): string {
  let s = '';
  for (let i = parts.length - 1; i >= 0 && !s.startsWith('/'); i--) if (parts[i]) s = s ? `${parts[i]}/${s}` : parts[i];
  if (!s.startsWith('/')) s = `${process.cwd()}/${s}`;
  const n = normalize(s);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

export function dirname(p: string): string {
  if (p === '') return '.';
  const root = p.startsWith('/');
  // From the end: skip trailing slashes, then the last name, and stop at the slash before it (only
  // that one: node keeps "a//b" -> "a/").
  let end = -1;
  let named = false;
  for (let i = p.length - 1; i >= 1; i--) {
    if (p[i] === '/') {
      if (named) { end = i; break; }
    } else named = true;
  }
  if (end === -1) return root ? '/' : '.';
  if (root && end === 1) return '//';
  return p.slice(0, end);
}

export function basename(p: string, ext?: string): string {
  const t = p.replace(/\/+$/, '');
  const b = t.slice(t.lastIndexOf('/') + 1);
  return ext && b !== ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
}

/** The path from `from` to `to` (both resolved first). */
export function relative(from: string, to: string): string {
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}
