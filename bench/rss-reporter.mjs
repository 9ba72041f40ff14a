/**
 * Preloaded with `node --import bench/rss-reporter.mjs …` when GNU time is not installed: writes
 * this process's resource usage (peak RSS in KiB, CPU in µs) to $BENCH_USAGE_OUT as it exits.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_USAGE_OUT;
if (out !== undefined && out !== '') {
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify(process.resourceUsage()));
  });
}
