/**
 * The connection pool behind the client. An undici Pool sized to the concurrency (measured much
 * faster than fetch for many small requests: docs/ARCHITECTURE.md, "Libraries chosen, and why"), or undici's
 * EnvHttpProxyAgent when HTTP(S)_PROXY is set.
 * Two rules on top of undici's own:
 * - loopback never goes through a proxy (127.0.0.0/8, localhost, ::1 are always in NO_PROXY, as
 *   curl does), so the emulator and local tests work behind a corporate proxy;
 * - a failed proxy tunnel fails the request, once: undici would otherwise treat the proxy closing
 *   the CONNECT as a recoverable socket error and reconnect in a tight loop, ignoring --retries,
 *   --timeout and Ctrl-C. Each attempt of ours is then exactly one connect try, bounded by the
 *   client's retry policy.
 */
import { EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';
import { isLoopbackHost } from '../config.js';

export interface DispatcherOptions {
  connections: number;
  /** Per-gap limits for headers and body; the client adds a total deadline per attempt. */
  timeoutMs: number;
  /** The environment to read HTTP(S)_PROXY and NO_PROXY from. */
  env?: NodeJS.ProcessEnv;
  /** For tests only: send loopback through the proxy too. */
  proxyLoopback?: boolean;
}

type ConnectCallback = (error: Error | null, socket: unknown) => void;
type Connector = (options: unknown, callback: ConnectCallback) => void;

/** A connect error undici will not retry by itself (its code is not UND_ERR_SOCKET). */
export class ProxyConnectError extends Error {
  readonly code = 'UND_ERR_PROXY_CONNECT';
  constructor(cause: Error) {
    super(`the proxy did not open a tunnel: ${cause.message}`, { cause });
  }
}

function boundedConnect(connect: Connector): Connector {
  return (options, callback) => {
    connect(options, (error, socket) => {
      callback(
        error === null ? null : error instanceof ProxyConnectError ? error : new ProxyConnectError(error),
        socket,
      );
    });
  };
}

function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((v) => v !== undefined && v !== '');
}

export function createDispatcher(origin: string, options: DispatcherOptions): Dispatcher {
  const env = options.env ?? process.env;
  const common = { headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, keepAliveTimeout: 30_000 };
  const httpProxy = firstSet(env.HTTP_PROXY, env.http_proxy);
  const httpsProxy = firstSet(env.HTTPS_PROXY, env.https_proxy) ?? httpProxy;
  const loopback = isLoopbackHost(new URL(origin).hostname);
  if ((httpProxy === undefined && httpsProxy === undefined) || (loopback && options.proxyLoopback !== true)) {
    return new Pool(origin, { ...common, connections: options.connections });
  }
  const noProxy = firstSet(env.NO_PROXY, env.no_proxy) ?? '';
  return new EnvHttpProxyAgent({
    ...common,
    connections: options.connections,
    ...(httpProxy === undefined ? {} : { httpProxy }),
    ...(httpsProxy === undefined ? {} : { httpsProxy }),
    noProxy,
    // Every origin pool of the agent gets the bounded connector (the tunnel's, or undici's own).
    factory: (poolOrigin: string | URL, poolOptions: object) => {
      const connect = (poolOptions as { connect?: unknown }).connect;
      return new Pool(
        poolOrigin,
        typeof connect === 'function' ? { ...poolOptions, connect: boundedConnect(connect as Connector) } : poolOptions,
      );
    },
  });
}
