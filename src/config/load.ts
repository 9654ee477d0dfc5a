// Reads a bundle's config.json: lossless parse, schema validation, the spec's MUST checks.
import { readFileSync } from '../sys/fs.js';
import { isAbsolute, join, resolve } from '../sys/path.js';
import { fail } from '../errors.js';
import { errnoNumber } from '../sys/errno.js';
import type { Spec } from './gen/config.js';
import { parseLossless } from './json.js';
import { semanticProblems } from './semantic.js';
import { validate, type SchemaName } from './validate.js';

export interface Bundle {
  /** Absolute bundle directory. */
  dir: string;
  spec: Spec;
  /** Absolute rootfs path (root.path is relative to the bundle, not to the cwd). */
  rootfs: string;
}

/** Reads and validates a JSON document; `label` names it in messages (e.g. config.json). */
export function readJsonDocument(path: string, schema: SchemaName, label: string, text?: string): unknown {
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const errno = errnoNumber(code);
      throw fail(`cannot read ${label}`, { errno, detail: errno === undefined ? `${path}: ${(e as Error)?.message}` : path });
    }
  }
  let data: unknown;
  try {
    data = parseLossless(text);
  } catch (e) {
    throw fail(`${label}: not valid JSON: ${(e as Error).message}`);
  }
  validate(schema, data, label);
  return data;
}

export function loadBundle(bundleDir: string): Bundle {
  const dir = resolve(bundleDir);
  const spec = readJsonDocument(join(dir, 'config.json'), 'config', 'config.json') as Spec;
  const problems = semanticProblems(spec);
  if (problems.length) throw fail(`config.json: ${problems[0].path} ${problems[0].text}`);
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : join(dir, spec.root.path);
  return { dir, spec, rootfs };
}
