// Process entry for the bundled CLI (dist/tsrun.cjs).
import { main } from './main.js';
import { prepareEmbedded } from '../sys/paths.js';

(globalThis.__tsrunEmbedded ? prepareEmbedded() : Promise.resolve()).then(() => main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`${e?.stack ?? e}\n`); process.exitCode = 1; },
);
