/**
 * Connection settings and where each came from (README, "Where settings come from"): flags,
 * then `--env-file`, then the environment, then a `.env` that never overrides the environment.
 * The API key is never a plain flag, because it would show in `ps` and shell history, and never
 * leaves this module in printable form.
 */
import { errnoError, errnoMessage } from './errno.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv, inspect } from 'node:util';
import { AuthError, ConfigError } from './errors.js';
import { commandLine } from './shell.js';
import { HINTS, SETTINGS_ERRORS } from './error-messages.js';

export const DEFAULT_BASE_URL = 'https://app.cio-pulse.com/api/v5';

/** "you must … have a 40 character API key" (API document, introduction). */
export const API_KEY_LENGTH = 40;

/**
 * Holds the API key so that it cannot be printed by accident: `String()`, JSON and
 * `util.inspect` all show `[redacted]`. Only `authorization()` reads it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** "Authorization: Basic {credentials}" where credentials = base64(portal code ":" key). */
  authorization(portalCode: string): string {
    return `Basic ${Buffer.from(`${portalCode}:${this.#value}`).toString('base64')}`;
  }
  get length(): number {
    return this.#value.length;
  }
  /** For the emulator, whose own throwaway key is printed on purpose. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

export interface Connection {
  baseUrl: string;
  portalCode: string;
  apiKey: Secret;
  /** Settings taken from a `.env` in the current directory, by name: the CLI says so on stderr. */
  fromDotEnv?: string[];
}

export interface ConnectionFlags {
  baseUrl?: string | undefined;
  portalCode?: string | undefined;
  apiKeyFile?: string | undefined;
  envFile?: string | undefined;
  allowInsecure?: boolean | undefined;
}

/**
 * Where a setting came from (README, "Where settings come from"). `path` names the file for
 * `env file`, `.env` and `key file`.
 */
export interface SettingOrigin {
  source: 'flag' | 'env file' | 'environment' | '.env' | 'key file' | 'default';
  path?: string;
}

/** What `check` shows: every setting and its origin, never the key itself. */
export interface SettingsReport {
  baseUrl: { value: string; from: SettingOrigin };
  portalCode: { value: string; from: SettingOrigin } | undefined;
  apiKey: { from: SettingOrigin; length: number } | undefined;
  /** A `.env` in the current directory: whether it was read, and if not, why. */
  dotEnv: { path: string; read: boolean; reason?: string } | undefined;
}

type EnvValues = Record<string, string | undefined>;

/** Reads a dotenv file; a missing file, a directory or an unreadable one is a one-line ConfigError. */
function readEnvFile(path: string, what: string): { values: EnvValues; mode: number } {
  let text: string;
  let mode: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw errnoError('EISDIR');
    mode = stat.mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} ${path}: ${errnoMessage(error)}`);
  }
  return { values: parseEnv(text.replace(/^\uFEFF/, '')), mode };
}

/**
 * For commands that need no connection (a dry run): a named `--env-file` that is missing, a
 * directory or unreadable is still a mistake worth one line, not something to pass over.
 */
export function checkEnvFile(path: string): void {
  readEnvFile(path, 'env file');
}

/** The refusal a key file and an env file share when group or others can read the key. */
function refuseShared(what: string, path: string, mode: number): void {
  if ((mode & 0o077) === 0) return;
  throw new ConfigError(SETTINGS_ERRORS.sharedKeyFile(what, path, (mode & 0o777).toString(8)), {
    hint: HINTS.chmod(commandLine(['chmod', '600', path])),
  });
}

/** Refuses a key file whose mode lets group or others read it (`mode & 0o077`). */
export function readApiKeyFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new ConfigError(`cannot read the API key file ${path}: ${errnoMessage(error)}`);
  }
  refuseShared('API key file', path, mode);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`cannot read the API key file ${path}: ${errnoMessage(error)}`);
  }
}

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach without --allow-insecure. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A base URL as it may be shown: a user name or password in it (`http://user:key@host`) is hidden. */
export function hideUserinfo(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/*)[^/?#]*@/i, '$1…@');
}

/** Parses and checks the base URL: http only to loopback unless explicitly allowed. */
export function resolveBaseUrl(raw: string, allowInsecure = false): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(SETTINGS_ERRORS.notAUrl(hideUserinfo(raw)), {
      hint: HINTS.baseUrlExample(DEFAULT_BASE_URL),
    });
  }
  // Anything in the URL is printed (check, hints, the report): a key there would leak.
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(SETTINGS_ERRORS.userinfoInUrl(hideUserinfo(raw)), {
      hint: HINTS.keyNotInUrl(),
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`the base URL must be http or https, not ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecure) {
    throw new ConfigError(SETTINGS_ERRORS.plainHttp(url.hostname), {
      hint: HINTS.useHttps(),
    });
  }
  return url.href.replace(/\/+$/, '');
}

interface Layer {
  origin: SettingOrigin;
  values: EnvValues;
  mode?: number;
}

/**
 * The sources, strongest first (README, "Where settings come from"): flags, then `--env-file`,
 * then the environment, then a `.env` in the current directory. That last one follows the
 * dotenv rule, never overriding the environment, and is read only when no `--env-file` is given,
 * because naming a file says which one to use.
 */
function settingLayers(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { layers: Layer[]; dotEnv: SettingsReport['dotEnv'] } {
  const layers: Layer[] = [
    {
      origin: { source: 'flag' },
      values: { CIOPULSE_BASE_URL: flags.baseUrl, CIOPULSE_PORTAL_CODE: flags.portalCode },
    },
  ];
  if (flags.envFile !== undefined) {
    const file = readEnvFile(flags.envFile, 'env file');
    layers.push({ origin: { source: 'env file', path: flags.envFile }, ...file });
  }
  layers.push({ origin: { source: 'environment' }, values: env });
  const dotPath = join(cwd, '.env');
  let dotEnv: SettingsReport['dotEnv'];
  // When --env-file names ./.env itself, there is no second file to report on.
  if (existsSync(dotPath) && (flags.envFile === undefined || resolve(cwd, flags.envFile) !== dotPath)) {
    if (flags.envFile !== undefined) {
      dotEnv = { path: dotPath, read: false, reason: '--env-file names the file to use' };
    } else {
      try {
        const file = readEnvFile(dotPath, '.env file');
        layers.push({ origin: { source: '.env', path: '.env' }, ...file });
        dotEnv = { path: dotPath, read: true };
      } catch (error) {
        dotEnv = { path: dotPath, read: false, reason: (error as Error).message };
      }
    }
  }
  return { layers, dotEnv };
}

function pick(layers: readonly Layer[], name: string): { value: string; layer: Layer } | undefined {
  for (const layer of layers) {
    const value = layer.values[name];
    if (value !== undefined && value !== '') return { value, layer };
  }
  return undefined;
}

interface CollectedSettings extends SettingsReport {
  key?: { secret: Secret; layer: Layer };
}

function collectSettings(flags: ConnectionFlags, env: NodeJS.ProcessEnv, cwd: string): CollectedSettings {
  const { layers, dotEnv } = settingLayers(flags, env, cwd);
  const base = pick(layers, 'CIOPULSE_BASE_URL');
  const portal = pick(layers, 'CIOPULSE_PORTAL_CODE');
  const report: CollectedSettings = {
    baseUrl:
      base === undefined
        ? { value: DEFAULT_BASE_URL, from: { source: 'default' } }
        : { value: base.value, from: base.layer.origin },
    portalCode: portal === undefined ? undefined : { value: portal.value, from: portal.layer.origin },
    apiKey: undefined,
    dotEnv,
  };
  if (flags.apiKeyFile !== undefined) {
    report.apiKey = { from: { source: 'key file', path: flags.apiKeyFile }, length: -1 };
  } else {
    const key = pick(layers, 'CIOPULSE_API_KEY');
    if (key !== undefined) {
      report.apiKey = { from: key.layer.origin, length: key.value.trim().length };
      report.key = { secret: new Secret(key.value.trim()), layer: key.layer };
    }
  }
  return report;
}

/**
 * Every setting and where it came from, without judging it (`check` prints this). Throws only
 * for an `--env-file` that cannot be read.
 */
export function inspectSettings(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): SettingsReport {
  const { baseUrl, portalCode, apiKey, dotEnv } = collectSettings(flags, env, cwd);
  return { baseUrl: { ...baseUrl, value: hideUserinfo(baseUrl.value) }, portalCode, apiKey, dotEnv };
}

/**
 * Resolves where to connect and with which credentials. Throws ConfigError for anything
 * missing (every missing setting in one message), and AuthError for a key that cannot be
 * right, before any request is made.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Connection {
  const settings = collectSettings(flags, env, cwd);
  const baseUrl = resolveBaseUrl(settings.baseUrl.value, flags.allowInsecure);
  const missing: string[] = [];
  const how: string[] = [];
  if (settings.portalCode === undefined) {
    missing.push('the portal code');
    how.push('CIOPULSE_PORTAL_CODE (or --portal-code)');
  }
  if (settings.apiKey === undefined) {
    missing.push('the API key');
    how.push('CIOPULSE_API_KEY (or --api-key-file, a file only you can read)');
  }
  if (missing.length > 0) {
    throw new ConfigError(SETTINGS_ERRORS.missing(missing), {
      hint: HINTS.setMissing(how),
    });
  }
  let apiKey: Secret;
  if (flags.apiKeyFile !== undefined || settings.key === undefined)
    apiKey = new Secret(readApiKeyFile(flags.apiKeyFile ?? ''));
  else {
    apiKey = settings.key.secret;
    const { mode, origin } = settings.key.layer;
    // A key in a file others can read is refused, whether the file is a key file or an env file.
    if (mode !== undefined && origin.path !== undefined)
      refuseShared(origin.source === '.env' ? '.env file' : 'env file', origin.path, mode);
  }
  if (apiKey.length !== API_KEY_LENGTH) {
    throw new AuthError(SETTINGS_ERRORS.keyLength(apiKey.length, API_KEY_LENGTH), {
      hint: HINTS.copyKeyAgain(),
    });
  }
  const fromDotEnv = [
    settings.baseUrl.from.source === '.env' ? 'CIOPULSE_BASE_URL' : undefined,
    settings.portalCode?.from.source === '.env' ? 'CIOPULSE_PORTAL_CODE' : undefined,
    settings.apiKey?.from.source === '.env' ? 'CIOPULSE_API_KEY' : undefined,
  ].filter((name) => name !== undefined);
  return {
    baseUrl,
    portalCode: settings.portalCode?.value ?? '',
    apiKey,
    ...(fromDotEnv.length > 0 ? { fromDotEnv } : {}),
  };
}
