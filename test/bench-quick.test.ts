/**
 * Benchmarks are not tests, and CI never runs the full bench; this only makes sure that
 * `npm run bench -- --quick` keeps working: every section runs, the table is printed, and no
 * credential reaches the output. Its numbers are not checked (quick sizes are too small to mean
 * much, and the machine is shared). `--no-build`: `pretest` has built dist/ already, and a
 * rebuild here would rewrite files other tests are running. `--no-write`: no report file.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CIOPULSE_')) env[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.mjs'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run bench -- --quick', () => {
  it('runs every section and prints the table', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runBench(['--quick', '--no-write', '--no-build']);
    expect(code, stderr).toBe(0);
    for (const section of [
      '## 1. Dry run vs. the parser',
      '## 2. Import vs. the ideal under latency',
      '## 3. Client overhead at zero latency',
      '## 4. Export',
      '## 5. Scaling of the dry run',
      '## 6. Start-up',
      '## 8. .xlsx workbooks vs. CSV',
      '## 9. Sync with the helpdesk',
    ]) {
      expect(stdout).toContain(section);
    }
    expect(stdout).toMatch(/measurement\s+value\s+compared with\s+ratio\s+target\s+result/);
    expect(stdout).toMatch(/import --dry-run, [\d,]+ rows × 6 columns\s+[\d,]+ rows\/s/);
    expect(stdout).toMatch(/--concurrency 64, [\d,]+ rows\s+[\d,]+ rows\/s/);
    expect(stdout).toMatch(/xargs -P 16 curl, [\d,]+ rows\s+[\d,]+ rows\/s/);
    expect(stdout).toMatch(/export of [\d,]+ contacts: peak RSS\s+[\d,]+ MB/);
    expect(stdout).toMatch(/one-row `import --dry-run`\s+[\d.]+ s/);
    expect(stdout).toMatch(/\.xlsx dry run of [\d,]+ rows: peak RSS\s+[\d,]+ MB/);
    expect(stdout).toMatch(
      /sync, [\d,]+ contacts \(1 % changed, 0\.5 % gone, 0\.5 % new\): requests sent\s+[\d,]+ requests/,
    );
    expect(stdout).not.toContain('FAILED sections');
    // The emulator's key and the Basic credential stay inside the bench.
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain('CIOPULSE_API_KEY=');
      expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{20,}/);
    }
  });
});
