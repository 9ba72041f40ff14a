/**
 * What reaches the wire and the terminal: HTTP_PROXY / NO_PROXY are honoured (through a small
 * CONNECT proxy on loopback), the progress bar draws on a TTY, and a 200k-row dry run keeps
 * its memory flat.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runImport } from '../src/run/entry.js';
import { createApiClient } from '../src/api/client.js';
import { createDispatcher } from '../src/api/dispatcher.js';
import { Secret } from '../src/config.js';
import {
  CLI,
  emulatorEnv,
  readResults,
  ptyTranscript,
  tempDir,
  useEmulators,
  writeFile,
  CSV_HEADER as HEADER,
} from './helpers.js';

const emulator = useEmulators();

function rows(count: number, prefix: string): string {
  const lines = [HEADER];
  for (let i = 0; i < count; i++)
    lines.push(
      `${prefix}${i},First,Last,${prefix.toLowerCase()}${i}@example.com,Agent,+614111${String(i % 100_000).padStart(5, '0')}`,
    );
  return `${lines.join('\n')}\n`;
}

/** A forward proxy that tunnels CONNECT to loopback only, counting tunnels. */
async function startProxy(): Promise<{ server: Server; url: string; tunnels: () => number }> {
  let tunnels = 0;
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, socket) => {
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    tunnels++;
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels: () => tunnels };
}

describe('proxies', () => {
  // Loopback never goes through a proxy (test/hostile-server.test.ts), so this drives the
  // dispatcher with its test-only switch that proxies loopback too.
  it('sends through HTTP_PROXY, and around it for hosts in NO_PROXY', async () => {
    const emu = await emulator();
    const proxy = await startProxy();
    const putAll = async (noProxy: string): Promise<void> => {
      const dispatcher = createDispatcher(new URL(emu.baseUrl).origin, {
        connections: 2,
        timeoutMs: 5000,
        env: { HTTP_PROXY: proxy.url, NO_PROXY: noProxy },
        proxyLoopback: true,
      });
      const client = createApiClient({
        connection: { baseUrl: emu.baseUrl, portalCode: emu.portalCode, apiKey: new Secret(emu.apiKey) },
        dispatcher,
      });
      try {
        for (let i = 0; i < 10; i++)
          expect(
            (
              await client.put(`PX${noProxy === '' ? 'A' : 'B'}${i}`, {
                first_name: 'A',
                last_name: 'B',
                email: `px${noProxy.length}-${i}@example.com`,
              })
            ).status,
          ).toBe(201);
      } finally {
        await client.close();
        await dispatcher.close();
      }
    };
    try {
      await putAll('');
      expect(proxy.tunnels()).toBeGreaterThan(0);
      const before = proxy.tunnels();
      await putAll('127.0.0.1');
      expect(proxy.tunnels()).toBe(before);
      expect(emu.contacts()).toHaveLength(20);
    } finally {
      proxy.server.close();
    }
  });
});

describe('progress on a terminal', () => {
  it.skipIf(!existsSync('/usr/bin/script'))('draws a progress bar with rows, rate and failures on a TTY', async () => {
    const emu = await emulator({ latencyMs: 10 });
    const dir = tempDir('tty-');
    const file = writeFile(dir, 'c.csv', rows(600, 'TT'));
    // util-linux `script` gives the CLI a pseudo-terminal, as a person's shell would.
    const command = `${process.execPath} ${CLI} import ${file} --concurrency 4`;
    const output = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qfec', command, ptyTranscript()], {
        env: { ...process.env, ...emulatorEnv(emu), NO_COLOR: '1' },
      });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('close', () => resolve(text));
    });
    expect(output).toMatch(/\d+% \| \d+ rows \| \d+\/s \| ETA/);
    expect(output).toMatch(/failed \| \d+ retries/);
    expect(readResults(join(dir, 'c.results.csv'))).toHaveLength(600);
  });
});

describe('memory', () => {
  it('a 200k-row dry run stays under a fixed memory bound', async () => {
    const dir = tempDir('mem-');
    const file = join(dir, 'big.csv');
    writeFileSync(file, rows(200_000, 'M'));
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const summary = await runImport({ input: file, mode: 'dry-run' });
      expect(summary.counts.valid).toBe(200_000);
    } finally {
      clearInterval(timer);
    }
    // The in-file email index holds 200k entries (~20 MB); everything else streams.
    expect(peak - baseline).toBeLessThan(120 * 1024 * 1024);
  });
});
