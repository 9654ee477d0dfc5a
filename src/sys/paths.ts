// Where tsrun's own files are: the bundle lives in <project>/dist, sources in <project>/src/*, so the
// project root is found by walking up to the package.json named tsrun.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

export function projectRoot(): string {
  if (cached) return cached;
  if (process.env.TSRUN_HOME) return (cached = process.env.TSRUN_HOME);
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"tsrun"/.test(readFileSync(pkg, 'utf8'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the tsrun installation above ${__dirname}`);
    dir = up;
  }
}

export const addonPath = () => join(projectRoot(), 'build/Release/tsrun.node');
export const initPath = () => join(projectRoot(), 'build/tsrun-init');
