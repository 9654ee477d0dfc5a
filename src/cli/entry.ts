// Process entry for the bundled CLI (dist/tsrun.cjs, and Bun's per-group bundles in dist/bun/).
import { createRequire } from 'node:module';
import { main, NotInThisBundle } from './main.js';
import { prepareEmbedded } from '../sys/paths.js';
import { dirname, join } from '../sys/path.js';

(globalThis.__tsrunEmbedded ? prepareEmbedded() : Promise.resolve()).then(() => main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (e) => {
    // A group bundle chosen for another command (bin/tsrun guesses from argv): the whole one runs it.
    // Node: the loader's own; Bun: tsrun.js beside this bundle (process.argv[1], not __dirname: Bun's
    // bundler writes the build-time directory into __dirname).
    if (e instanceof NotInThisBundle) {
      const whole = (globalThis as { __tsrunWhole?: () => void }).__tsrunWhole;
      return void (whole ? whole() : createRequire(__filename)(join(dirname(process.argv[1]), 'tsrun.js')));
    }
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
