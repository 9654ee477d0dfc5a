// Precompiles the JSON Schemas in schemas/ to plain JS validators (ajv standalone code), so no schema
// is ever compiled when tsrun starts. Output: build/gen/validators/<name>.js, one file per schema so a
// command loads only the one it validates against (create: config), and build/gen/validators.d.ts.
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'schemas');
const base = 'https://tsrun.dev/schemas/';

export function makeAjv() {
  const ajv = new (Ajv.default ?? Ajv)({ strict: true, allErrors: false, inlineRefs: false, code: { source: true, lines: false, optimize: true } });
  // tsType is read by json-schema-to-typescript (number | bigint for 64-bit fields), not by ajv.
  ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  }
  return ajv;
}

/** Export name -> schema ref. */
export const exportsMap = {
  config: `${base}config.schema.json`,
  process: `${base}process.schema.json`,
  state: `${base}state.schema.json`,
  features: `${base}features.schema.json`,
  resources: `${base}defs.schema.json#/definitions/LinuxResources`,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ajv = makeAjv();
  const out = join(root, 'build/gen');
  const dir = join(out, 'validators');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  rmSync(join(out, 'validators.js'), { force: true });
  const esbuild = await import('esbuild');
  let total = 0;
  for (const [name, ref] of Object.entries(exportsMap)) {
    const code = standaloneCode.default ? standaloneCode.default(ajv, { [name]: ref }) : standaloneCode(ajv, { [name]: ref });
    // The standalone code requires a few ajv runtime helpers (e.g. ucs2length): bundle them in, so
    // tsrun needs no npm package at run time.
    const raw = join(dir, `${name}.raw.js`);
    writeFileSync(raw, code);
    await esbuild.build({ entryPoints: [raw], outfile: join(dir, `${name}.js`), bundle: true, platform: 'node', format: 'cjs', target: 'node20', minifySyntax: true, minifyWhitespace: true, logLevel: 'warning' });
    rmSync(raw);
    total += statSync(join(dir, `${name}.js`)).size;
  }
  const dts = ['export interface ValidationError { instancePath: string; keyword: string; params: Record<string, any>; message?: string; schemaPath: string }',
    'export interface Validator { (data: unknown): boolean; errors?: ValidationError[] | null }',
    ...Object.keys(exportsMap).map((k) => `export declare const ${k}: Validator;`)].join('\n');
  writeFileSync(join(out, 'validators.d.ts'), dts + '\n');
  console.log(`validators: build/gen/validators/{${Object.keys(exportsMap).join(',')}}.js (${(total / 1024).toFixed(0)} KiB)`);
}
