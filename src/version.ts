// Set at build time by esbuild (`define`); the fallback is for tests that run the sources directly.
declare const __TSRUN_VERSION__: string | undefined;
declare const __TSRUN_COMMIT__: string | undefined;
export const TSRUN_VERSION: string = typeof __TSRUN_VERSION__ === 'string' ? __TSRUN_VERSION__ : '0.0.0-dev';
export const TSRUN_COMMIT: string = typeof __TSRUN_COMMIT__ === 'string' ? __TSRUN_COMMIT__ : '';
