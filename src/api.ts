// The public library API: the lifecycle as typed functions (the CLI is a thin layer over the same code).
export { StateStore, validateId, type ContainerRecord, type PublicState } from './state/store.js';
export { loadBundle, type Bundle } from './config/load.js';
export { semanticProblems, launchProblems } from './config/semantic.js';
export { validationErrors } from './config/validate.js';
export { featuresDocument } from './features/features.js';
export { defaultSpec, rootlessSpec } from './config/default-spec.js';
export { TsrunError } from './errors.js';
export type { Spec } from './config/gen/config.js';
