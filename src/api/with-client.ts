/**
 * A client for one job (`export`, `get`, each half of `check`): created, used, and closed whatever
 * happens, so its sockets never outlive the job. client.ts is loaded here, on demand: importing
 * the library, or running a dry run, must not load undici (docs/ARCHITECTURE.md, "Build and
 * start-up"). A run's client lives as long as its executor instead (execute/send.ts).
 */
import type { Connection } from '../config.js';
import { DEFAULTS } from '../defaults.js';
import type { ApiClient, ApiClientOptions, RetryEvent } from './client.js';

/** What a one-request-at-a-time job (`exportContacts`, `getContact`) takes from its caller. */
export interface OneShotOptions {
  connection: Connection;
  retries?: number | undefined;
  /** Time limit per attempt, in ms. */
  timeoutMs?: number | undefined;
  /** The longest wait before a retry, whatever Retry-After asks, in ms. */
  maxRetryWaitMs?: number | undefined;
  /** Stops the job: no new attempt starts. */
  signal?: AbortSignal | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** The client of a one-shot job: one request at a time, the defaults filled in (src/defaults.ts). */
export function oneShotClientOptions(options: OneShotOptions): ApiClientOptions {
  return {
    connection: options.connection,
    concurrency: 1,
    retries: options.retries ?? DEFAULTS.retries,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    maxRetryWaitMs: options.maxRetryWaitMs,
    stopSignal: options.signal,
    onRetry: options.onRetry,
  };
}

export async function withApiClient<T>(options: ApiClientOptions, use: (client: ApiClient) => Promise<T>): Promise<T> {
  const { createApiClient } = await import('./client.js');
  const client = createApiClient(options);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
