/**
 * The memory of the snapshot behind `import --plan` and `--changed-only`, measured with the real
 * code from dist/: `loadSnapshot` walks GET all straight into its index (maps by system_id and by
 * lower-cased email), and `createPlanner(index)` uses that index as it is. Heap and RSS are read
 * after a full GC at each step, so a delta is what the step keeps alive; peakRssMb shows whether
 * reading the answer ever held its text.
 *
 *   CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node --expose-gc bench/plan-memory.mjs <dist dir>
 *
 * Prints one JSON line.
 */
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';

const dist = resolve(process.argv[2] ?? 'dist');
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { resolveConnection } = await load('config.js');
const { createApiClient } = await load('api/client.js');
const { loadSnapshot, createPlanner } = await load('execute/plan.js');

if (typeof globalThis.gc !== 'function') {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}

function settle() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMb: heapUsed / 2 ** 20, rssMb: rss / 2 ** 20 };
}

const client = createApiClient({ connection: resolveConnection({}), concurrency: 1 });
const before = settle();
const t0 = performance.now();
const snapshot = await loadSnapshot(client);
const loadMs = performance.now() - t0;
const withSnapshot = settle();
const t1 = performance.now();
const planner = createPlanner(snapshot);
const indexMs = performance.now() - t1;
const withPlanner = settle();
await client.close();

const contacts = snapshot.size;
const perContact = (mb) => (mb * 2 ** 20) / Math.max(1, contacts);
process.stdout.write(
  `${JSON.stringify({
    contacts,
    plannerSize: planner.snapshotSize,
    loadMs,
    indexMs,
    snapshotHeapMb: withSnapshot.heapMb - before.heapMb,
    snapshotRssMb: withSnapshot.rssMb - before.rssMb,
    plannerHeapMb: withPlanner.heapMb - withSnapshot.heapMb,
    plannerRssMb: withPlanner.rssMb - withSnapshot.rssMb,
    plannerBytesPerContact: perContact(withPlanner.heapMb - withSnapshot.heapMb),
    snapshotBytesPerContact: perContact(withSnapshot.heapMb - before.heapMb),
    heapMb: withPlanner.heapMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
