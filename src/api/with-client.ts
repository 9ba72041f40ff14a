/**
 * A client for one job (`export`, `get`, each half of `check`): created, used, and closed whatever
 * happens, so its sockets never outlive the job. client.ts is loaded here, on demand: importing
 * the library, or running a dry run, must not load undici (docs/ARCHITECTURE.md, "Build and
 * start-up"). A run's client lives as long as its executor instead (execute/send.ts).
 */
import type { ApiClient, ApiClientOptions } from './client.js';

export async function withApiClient<T>(options: ApiClientOptions, use: (client: ApiClient) => Promise<T>): Promise<T> {
  const { createApiClient } = await import('./client.js');
  const client = createApiClient(options);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
