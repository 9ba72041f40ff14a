/**
 * The memory of export's check for system_ids that GET all lists twice (src/remote/repeated-ids.ts),
 * measured with the real code from dist/: the tracker is fed N distinct ids shaped like the bench's
 * own (`X0000001`), each with its line, as export feeds it; the JS heap plus external memory
 * (typed arrays live outside the heap) is read after a full GC before and after, and the ids
 * themselves are built first, so the delta is what the check keeps alive.
 *
 *   node --expose-gc bench/repeat-memory.mjs <dist dir> <ids>
 *
 * One size a process, so nothing of an earlier size is collected during the measurement. Prints
 * one JSON line: the retained delta, the table's own bytes, and the time.
 */
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';

if (typeof globalThis.gc !== 'function') {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}

const [distArg, sizeArg] = process.argv.slice(2);
const dist = resolve(distArg ?? 'dist');
const size = Number(sizeArg);
const { createRepeatTracker } = await import(pathToFileURL(join(dist, 'remote/repeated-ids.js')).href);

function retainedMb() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { heapUsed, external } = process.memoryUsage();
  return (heapUsed + external) / 2 ** 20;
}

const ids = Array.from({ length: size }, (_, i) => `X${String(i + 1).padStart(7, '0')}`);
const before = retainedMb();
const started = performance.now();
const tracker = createRepeatTracker();
for (let i = 0; i < size; i++) tracker.add(ids[i], i + 1);
const ms = performance.now() - started;
const after = retainedMb();
if (tracker.repeated.count !== 0) throw new Error('distinct ids were taken for repeats');
process.stdout.write(
  `${JSON.stringify({ ids: size, retainedMb: after - before, tableMb: tracker.bytes / 2 ** 20, ms, alive: ids.length })}\n`,
);
