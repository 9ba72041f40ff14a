/**
 * The emulator as a separate process (`node dist/cli/main.js emulator --port 0 …`), so that the
 * server and the client under test never share one event loop. It prints three env-file lines,
 * then serves until SIGTERM.
 *
 * The emulator's throwaway key stays in this object: it is handed to children in their
 * environment (or in a mode-600 header file for curl) and never printed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { clearTimeout } from 'node:timers';
import { fetch } from 'undici';
import { childEnv, spawnTracked } from './measure.mjs';

const START_TIMEOUT_MS = 60_000;

let clockTicks;
/** utime + stime of a process from /proc/<pid>/stat, in seconds; undefined where there is no /proc. */
export function processCpuSeconds(pid) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/**
 * Starts an emulator. Options: cli (path of dist/cli/main.js), latency (ms), data (a --data file).
 * Resolves with { baseUrl, origin, portalCode, apiKey, env, authorization, stats(), resetStats(), stop() }.
 */
export async function startEmulatorProcess({ cli, latency, data }) {
  const args = [cli, 'emulator', '--port', '0'];
  if (latency !== undefined && latency > 0) args.push('--latency', String(latency));
  if (data !== undefined) args.push('--data', data);
  const child = spawnTracked(process.execPath, args, { env: childEnv() });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));

  const settings = await new Promise((resolve, reject) => {
    let buffer = '';
    const found = {};
    const timer = setTimeout(
      () => fail(new Error(`the emulator did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\nemulator stderr:\n${stderr.slice(-2000)}`));
    }
    child.on('exit', (code, signal) => fail(new Error(`the emulator exited early (code ${code}, signal ${signal})`)));
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buffer += d;
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        const match = /^(CIOPULSE_BASE_URL|CIOPULSE_PORTAL_CODE|CIOPULSE_API_KEY)=(.*)$/.exec(line);
        if (match) found[match[1]] = match[2];
      }
      if (found.CIOPULSE_BASE_URL && found.CIOPULSE_PORTAL_CODE && found.CIOPULSE_API_KEY) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve(found);
      }
    });
  });

  const baseUrl = settings.CIOPULSE_BASE_URL;
  const { origin } = new URL(baseUrl);
  const portalCode = settings.CIOPULSE_PORTAL_CODE;
  const apiKey = settings.CIOPULSE_API_KEY;
  const exited = new Promise((resolve) => child.on('exit', resolve));

  const control = async (name, method = 'GET') => {
    const response = await fetch(`${origin}/__emulator/${name}`, { method });
    if (!response.ok) throw new Error(`emulator ${name}: HTTP ${response.status}`);
    return response.json();
  };

  return {
    /** CPU seconds (user + system) the emulator process has used so far; undefined off Linux. */
    cpuSeconds: () => processCpuSeconds(child.pid),
    baseUrl,
    origin,
    portalCode,
    apiKey,
    pid: child.pid,
    /** The environment a CLI child needs to reach this emulator. */
    env: { CIOPULSE_BASE_URL: baseUrl, CIOPULSE_PORTAL_CODE: portalCode, CIOPULSE_API_KEY: apiKey },
    authorization: `Basic ${Buffer.from(`${portalCode}:${apiKey}`).toString('base64')}`,
    stats: () => control('stats'),
    resetStats: () => control('reset-stats', 'POST'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
