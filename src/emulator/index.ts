/**
 * `ciopulse-contacts/emulator`: the local emulator of the API, for tests and demos (README,
 * "Using it as a library"). A subpath of its own, so that the core entry stays the importer's API.
 */
export { startEmulator } from './server.js';
export type { Emulator, EmulatorOptions, EmulatorStats } from './server.js';
