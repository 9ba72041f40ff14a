/**
 * Connection settings. Later sources win: environment, then `--env-file`, then flags
 * (DESIGN.md, "Connection settings"). The API key is never a plain flag, because it would
 * show in `ps`, and never leaves this module in printable form.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseEnv, inspect } from 'node:util';
import { AuthError, ConfigError } from './errors.js';

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
}

export interface ConnectionFlags {
  baseUrl?: string | undefined;
  portalCode?: string | undefined;
  apiKeyFile?: string | undefined;
  envFile?: string | undefined;
  allowInsecure?: boolean | undefined;
}

function readEnvFile(path: string): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the env file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseEnv(text.replace(/^\uFEFF/, ''));
}

/** Refuses a key file whose mode lets group or others read it (`mode & 0o077`). */
export function readApiKeyFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new ConfigError(`cannot read the API key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`the API key file ${path} can be read by other users (mode ${(mode & 0o777).toString(8)})`, {
      hint: `run: chmod 600 ${path}`,
    });
  }
  return readFileSync(path, 'utf8').trim();
}

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach without --allow-insecure. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Parses and checks the base URL: http only to loopback unless explicitly allowed. */
export function resolveBaseUrl(raw: string, allowInsecure = false): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`the base URL "${raw}" is not a URL`, { hint: `it looks like ${DEFAULT_BASE_URL}` });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`the base URL must be http or https, not ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecure) {
    throw new ConfigError(`refusing plain http to ${url.hostname}: the API key would cross the network unencrypted`, {
      hint: 'use https, or pass --allow-insecure if you really mean it',
    });
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * Resolves where to connect and with which credentials. Throws ConfigError for anything
 * missing, and AuthError for a key that cannot be right, before any request is made.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const fileEnv = flags.envFile === undefined ? {} : readEnvFile(flags.envFile);
  const pick = (name: string, flag: string | undefined): string | undefined => {
    const value = flag ?? fileEnv[name] ?? env[name];
    return value === undefined || value === '' ? undefined : value;
  };

  const baseUrl = resolveBaseUrl(pick('CIOPULSE_BASE_URL', flags.baseUrl) ?? DEFAULT_BASE_URL, flags.allowInsecure);
  const portalCode = pick('CIOPULSE_PORTAL_CODE', flags.portalCode);
  if (portalCode === undefined) {
    throw new ConfigError('no portal code', { hint: 'set CIOPULSE_PORTAL_CODE, put it in --env-file, or pass --portal-code' });
  }
  const keyText = flags.apiKeyFile !== undefined ? readApiKeyFile(flags.apiKeyFile) : pick('CIOPULSE_API_KEY', undefined);
  if (keyText === undefined) {
    throw new ConfigError('no API key', {
      hint: 'set CIOPULSE_API_KEY, put it in --env-file, or pass --api-key-file (a file only you can read)',
    });
  }
  const apiKey = new Secret(keyText.trim());
  if (apiKey.length !== API_KEY_LENGTH) {
    throw new AuthError(`the API key has ${apiKey.length} characters; CIOPulse keys have ${API_KEY_LENGTH}`, {
      hint: 'copy the key again from the bottom of the Preferences page in the CIOPulse Portal',
    });
  }
  return { baseUrl, portalCode, apiKey };
}
