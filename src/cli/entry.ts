// Process entry for the bundled CLI (dist/tsrun.cjs, the single-file executable, and Node's per-group
// bundles in dist/groups/).
import { createRequire } from 'node:module';
import { main, NotInThisBundle } from './main.js';
import { prepareEmbedded } from '../sys/paths.js';
import { dirname, join } from '../sys/path.js';

// The single file finds its embedded files' cache folder first, with Bun's async stat: every command,
// --version too, writes through the addon, and the sync path would load node:fs (~4.5 ms under Bun).
(globalThis.__tsrunEmbedded ? prepareEmbedded() : Promise.resolve()).then(() => main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (e) => {
    // A group bundle chosen for another command (the Node loader guesses from argv): the whole one
    // runs it, through the loader's code cache; a group bundle run directly: ../tsrun.cjs beside it.
    if (e instanceof NotInThisBundle) {
      const whole = (globalThis as { __tsrunWhole?: () => void }).__tsrunWhole;
      return void (whole ? whole() : createRequire(__filename)(join(dirname(process.argv[1]), '../tsrun.cjs')));
    }
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
