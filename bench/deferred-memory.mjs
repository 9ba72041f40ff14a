/**
 * Peak RSS of an import whose every row gets 422 (issue 11 item 13): the emulator holds N
 * contacts, and the file gives each of their emails to a new system_id, so every row is deferred
 * to the second chance and gets 422 again. The whole CLI process is measured (its
 * resourceUsage().maxRSS, written by bench/rss-reporter.mjs as it exits).
 *
 *   npm run build && node bench/deferred-memory.mjs [rows=100000] [plain]
 *
 * Prints one JSON line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const rows = Number(process.argv[2] ?? 100_000);
/** `plain`: the same file against an empty API, for comparison (no row is deferred). */
const plain = process.argv[3] === 'plain';
const root = resolve(import.meta.dirname, '..');
const { startEmulator } = await import(pathToFileURL(join(root, 'dist', 'emulator', 'server.js')).href);
const dir = mkdtempSync(join(tmpdir(), 'deferred-memory-'));
const emulator = await startEmulator({ port: 0 });
try {
  const held = [];
  const lines = ['system_id,first_name,last_name,email,job_title,mobile'];
  for (let i = 0; i < rows; i++) {
    held.push({
      system_id: `S${i}`,
      first_name: 'Held',
      last_name: `Owner${i}`,
      email: `taken${i}@example.com`,
      job_title: 'Owner',
      mobile: null,
    });
    lines.push(`T${i},New,Person${i},taken${i}@example.com,Wants the email ${i},+614${String(i).padStart(8, '0')}`);
  }
  if (!plain) emulator.seedContacts(held);
  const input = join(dir, 'taken.csv');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const usage = join(dir, 'usage.json');
  const started = performance.now();
  // The emulator runs in this process, so the CLI is a child process: spawnSync would block the server.
  const { spawn } = await import('node:child_process');
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(root, 'bench', 'rss-reporter.mjs'),
      join(root, 'dist', 'cli', 'main.js'),
      'import',
      input,
      '--concurrency',
      '16',
      '--quiet',
    ],
    {
      env: {
        ...process.env,
        BENCH_USAGE_OUT: usage,
        CIOPULSE_BASE_URL: emulator.baseUrl,
        CIOPULSE_PORTAL_CODE: emulator.portalCode,
        CIOPULSE_API_KEY: emulator.apiKey,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('close', r));
  const wallMs = performance.now() - started;
  const results = readFileSync(join(dir, 'taken.results.csv'), 'utf8');
  const failed422 = results.split('\r\n').filter((l) => l.includes(',failed,422,')).length;
  const { maxRSS } = JSON.parse(readFileSync(usage, 'utf8'));
  process.stdout.write(
    `${JSON.stringify({ rows, plain, exitCode: code, failed422, peakRssMb: Math.round(maxRSS / 1024), wallS: Math.round(wallMs / 100) / 10, stderr: stderr.slice(0, 200) })}\n`,
  );
} finally {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
