/**
 * Progress on stderr: a cli-progress bar on a TTY (bytes read out of the file size, rows/s, ETA,
 * failures and retries), otherwise a plain line at most every few seconds, so that logs of CI
 * jobs and cron runs stay readable.
 */
import cliProgress from 'cli-progress';
import type { RunProgress } from '../run/run-types.js';

export interface ProgressReporter {
  update(progress: RunProgress): void;
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Print nothing at all (`--quiet`, `--json`). */
  silent?: boolean;
  /** Milliseconds between plain lines when not on a TTY. */
  plainIntervalMs?: number;
  label?: string;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/**
 * Time left, from the bytes read so far. Our own, not cli-progress's `eta_formatted`, which
 * prints its "NULL" placeholder cut to two characters ("LLs") when the rate is unknown, as on a
 * last frame drawn the moment the bar starts.
 */
export function formatEta(bytesRead: number, bytesTotal: number, elapsedSeconds: number): string {
  if (bytesTotal > 0 && bytesRead >= bytesTotal) return '0s';
  if (bytesRead <= 0 || elapsedSeconds <= 0) return '--';
  const left = Math.ceil(((bytesTotal - bytesRead) * elapsedSeconds) / bytesRead);
  if (!Number.isFinite(left)) return '--';
  if (left < 60) return `${left}s`;
  if (left < 3600) return `${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s`;
  return `${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgressReporter(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (options.silent === true) return { update() {}, stop() {} };
  const started = performance.now();
  const label = options.label ?? 'rows';

  if (stream.isTTY !== true) {
    const interval = options.plainIntervalMs ?? 5000;
    let last = started;
    let latest: RunProgress | undefined;
    const line = (p: RunProgress): string => {
      const elapsed = (performance.now() - started) / 1000;
      const rate = Math.round(p.rowsWritten / Math.max(elapsed, 1e-3));
      // Bytes read run ahead of rows done (the reader fills a buffer): say which is which.
      const pct = p.bytesTotal > 0 ? `, ${Math.round((100 * p.bytesRead) / p.bytesTotal)}% of the file read` : '';
      return `progress: ${p.rowsWritten} ${label} done${pct}, ${rate}/s, ${p.failed} failed or invalid, ${p.retries} retries\n`;
    };
    return {
      update(p) {
        latest = p;
        const now = performance.now();
        if (now - last < interval) return;
        last = now;
        stream.write(line(p));
      },
      stop() {
        if (latest !== undefined && performance.now() - started >= interval) stream.write(line(latest));
      },
    };
  }

  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ` {bar} {percentage}% | {rows} ${label} | {rate}/s | ETA {time_left} | {failed} failed | {retries} retries | {bytes}`,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  return {
    update(p) {
      const elapsed = (performance.now() - started) / 1000;
      const payload = {
        rows: p.rowsWritten,
        rate: Math.round(p.rowsWritten / Math.max(elapsed, 1e-3)),
        failed: p.failed,
        retries: p.retries,
        bytes: `${megabytes(p.bytesRead)} / ${megabytes(p.bytesTotal)}`,
        time_left: formatEta(p.bytesRead, p.bytesTotal, elapsed),
      };
      if (!startedBar) {
        bar.start(Math.max(p.bytesTotal, 1), p.bytesRead, payload);
        startedBar = true;
      } else {
        bar.update(p.bytesRead, payload);
      }
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}
