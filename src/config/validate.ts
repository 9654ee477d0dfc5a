// Schema validation with the validators precompiled at build time (build/gen/validators/<schema>.js;
// under Bun the JavaScriptCore bytecode build of them in build/gen/validators-bun/), and ajv
// errors turned into one readable line that names the JSON path and the rule:
//   config.json: linux.namespaces[2].type must be one of cgroup, ipc, ... (got "netwrk")
import { createRequire } from 'node:module';
import { join } from '../sys/path.js';
import type { ValidationError, Validator } from '../../build/gen/validators.js';
import { fail } from '../errors.js';
import { projectRoot } from '../sys/paths.js';
import { hasBigInt, toValidatable, TooDeep } from './json.js';

export type SchemaName = 'config' | 'process' | 'state' | 'features' | 'resources';

const loaded: Partial<Record<SchemaName, Validator>> = {};
/** Validators are code (config's is ~120 KiB): a command loads only the schema it checks, when it does. */
function validatorFor(name: SchemaName): Validator {
  let v = loaded[name];
  if (!v) {
    const req = createRequire(__filename);
    const file = (dir: string) => join(projectRoot(), dir, `${name}.js`);
    let mod: Record<string, Validator> | undefined;
    if (process.versions.bun) {
      try {
        mod = req(file('build/gen/validators-bun'));
      } catch {}
    }
    // Under dist/tsrun-node.cjs, through its V8 code cache (compiling config's from source ~1-2 ms).
    const cached = (globalThis as { __tsrunRequireCached?: (f: string) => Record<string, Validator> }).__tsrunRequireCached;
    mod ??= cached ? cached(file('build/gen/validators')) : (req(file('build/gen/validators')) as Record<string, Validator>);
    v = loaded[name] = mod[name];
  }
  return v;
}

/** `/linux/namespaces/2/type` -> `linux.namespaces[2].type` */
export function dottedPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const raw of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

const show = (v: unknown) => (v === undefined ? 'nothing' : typeof v === 'bigint' ? v.toString() : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)));

/** The schema's 64-bit bounds as written (as doubles they print rounded: 18446744073709552000). */
const exactLimit = (n: number) => (n === 2 ** 64 ? '18446744073709551615' : n === 2 ** 63 ? '9223372036854775807' : n === -(2 ** 63) ? '-9223372036854775808' : String(n));

/** One error as `<path> <rule> (got <value>)`. */
export function describe(err: ValidationError, data: unknown): { path: string; text: string } {
  const path = dottedPath(err.instancePath);
  const got = valueAt(data, err.instancePath);
  const p = err.params;
  const at = (s: string) => (path ? `${path} ${s}` : s);
  switch (err.keyword) {
    case 'required': {
      const full = path ? `${path}.${p.missingProperty}` : String(p.missingProperty);
      return { path: full, text: `${full} is required` };
    }
    case 'enum':
      return { path, text: at(`must be one of ${(p.allowedValues as unknown[]).map(String).sort().join(', ')} (got ${show(got)})`) };
    case 'type':
      return { path, text: at(`must be ${p.type === 'integer' ? 'an integer' : `of type ${p.type}`} (got ${show(got)})`) };
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return { path, text: at(`must be ${p.comparison} ${exactLimit(p.limit as number)} (got ${show(got)})`) };
    case 'pattern':
      return { path, text: at(`must match ${p.pattern} (got ${show(got)})`) };
    case 'additionalProperties':
      return { path, text: at(`has an unknown property "${p.additionalProperty}"`) };
    case 'minItems': case 'maxItems':
      return { path, text: at(`must have ${err.keyword === 'minItems' ? 'at least' : 'at most'} ${p.limit} item(s)`) };
    case 'minLength':
      return { path, text: at(`must not be empty`) };
    default:
      return { path, text: at(`${err.message ?? `fails ${err.keyword}`} (got ${show(got)})`) };
  }
}

/** Validates data (lossless values allowed) against a schema; throws a TsrunError naming the path. */
export function validate(name: SchemaName, data: unknown, file: string): void {
  const fn = validatorFor(name);
  let big: boolean;
  try {
    big = hasBigInt(data);
  } catch (e) {
    if (e instanceof TooDeep) throw fail(`${file}: ${e.message.length > 120 ? `${e.message.slice(0, 60)}...${e.message.slice(-50)}` : e.message}`);
    throw e;
  }
  const input = big ? toValidatable(data) : data;
  if (fn(input)) return;
  const err = fn.errors![0];
  // The message shows the value as written (an exact BigInt), not its validation stand-in.
  const { path, text } = describe(err, data);
  throw fail(`${file}: ${text}`, { configPath: undefined, step: `validate ${path}` });
}

export function validationErrors(name: SchemaName, data: unknown): ValidationError[] {
  const fn = validatorFor(name);
  return fn(hasBigInt(data) ? toValidatable(data) : data) ? [] : fn.errors!;
}
