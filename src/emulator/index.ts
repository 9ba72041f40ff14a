/**
 * `ciopulse-contacts/emulator`: the local emulator of the API, for tests and demos
 * (docs/LIBRARY.md, "The emulator in tests"). A subpath of its own, so that the core entry stays
 * the importer's API.
 */
export { startEmulator } from './server.js';
export type { Emulator, EmulatorOptions, EmulatorStats } from './server.js';
