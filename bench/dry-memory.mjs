/**
 * What a dry run keeps alive, for #1's memory rule ("grows only by the duplicate-detection sets"):
 *
 *   node --expose-gc bench/dry-memory.mjs pipeline <dist dir> <file.csv> <rows>
 *     runs the real dry run (dist/run/entry.js runImport) in this process and, once every
 *     row has been written (the sets are still alive then), reads the heap after a full GC;
 *   node --expose-gc bench/dry-memory.mjs sets <dist dir> <file.csv> <rows>
 *     builds only what the in-file duplicate checks hold for those rows: the pipeline's own
 *     indexes (dist/run/email-index.js createEmailIndex, fed each row's email, system_id and
 *     line, and dist/run/person-index.js createPersonIndex as a dry run makes it), or, where
 *     dist has no such module, a Map of lower-cased emails plus 4 bytes a row; and reads the
 *     memory the same way.
 *
 * "Memory" is the JS heap plus external memory (typed arrays live outside the heap).
 * Between 100k and 1M rows the pipeline's retained heap should grow by about what the sets grow
 * by, and not more. Prints one JSON line.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';

if (typeof globalThis.gc !== 'function') {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}

/** JS heap plus memory outside it (typed arrays, buffers), after a full GC. */
function retainedMb() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { heapUsed, external } = process.memoryUsage();
  return (heapUsed + external) / 2 ** 20;
}

/** The index as it was before email-index.js: a Map of lower-cased emails, 4 bytes a row. */
function createMapIndex() {
  const owners = new Map();
  let idHashes = new Int32Array(1024);
  return (email, systemId, line) => {
    const key = email.toLowerCase();
    const owner = owners.get(key);
    if (owner !== undefined) return owner;
    if (line >= idHashes.length) {
      const grown = new Int32Array(Math.max(line + 1, idHashes.length * 2));
      grown.set(idHashes);
      idHashes = grown;
    }
    idHashes[line] = systemId.length;
    owners.set(key, line);
    return undefined;
  };
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'pipeline') {
  const [dist, file, rowsText] = rest;
  const rows = Number(rowsText);
  // entry.js since the pipeline was split by mode; pipeline.js in older builds (a baseline dist).
  const { existsSync } = await import('node:fs');
  const entry = existsSync(join(resolve(dist), 'run/entry.js')) ? 'run/entry.js' : 'run/pipeline.js';
  const { runImport } = await import(pathToFileURL(join(resolve(dist), entry)).href);
  const base = retainedMb();
  let atEnd;
  const summary = await runImport({
    input: file,
    mode: 'dry-run',
    results: `${file}.mem-${process.pid}.dryrun.csv`,
    errors: `${file}.mem-${process.pid}.dryrun.errors.csv`,
    onProgress: (p) => {
      if (atEnd === undefined && p.rowsWritten >= rows) atEnd = retainedMb();
    },
  });
  const { rmSync } = await import('node:fs');
  rmSync(`${file}.mem-${process.pid}.dryrun.csv`, { force: true });
  rmSync(`${file}.mem-${process.pid}.dryrun.errors.csv`, { force: true });
  process.stdout.write(
    `${JSON.stringify({ mode, rows: summary.rows, baseMb: base, retainedMb: atEnd, grownMb: atEnd === undefined ? undefined : atEnd - base })}\n`,
  );
} else if (mode === 'sets') {
  const [dist, file, rowsText] = rest;
  const rows = Number(rowsText);
  const load = async (name) => {
    const path = join(resolve(dist), name);
    return existsSync(path) ? import(pathToFileURL(path).href) : undefined;
  };
  // Sized as the pipeline sizes them (by the file's line ends).
  const real = (await load('run/email-index.js'))?.createEmailIndex;
  const createPeople = (await load('run/person-index.js'))?.createPersonIndex;
  // Older builds took an initial capacity there, not a row count.
  const expected = (await load('fingerprints.js'))?.PRESIZE_CAP === undefined ? undefined : rows + 1;
  const base = retainedMb();
  const index = real?.(expected) ?? createMapIndex();
  const people = createPeople?.({ trackEarlier: true }, expected);
  let line = 1;
  let count = 0;
  let columns;
  const parser = createReadStream(file).pipe(parse({ bom: true, to_line: rows + 1 }));
  for await (const cells of parser) {
    if (columns === undefined) {
      columns = Object.fromEntries(['email', 'system_id', 'first_name', 'last_name'].map((f) => [f, cells.indexOf(f)]));
      continue;
    }
    line++;
    const [email, id] = [cells[columns.email].trim(), cells[columns.system_id].trim()];
    people?.add(
      id,
      { email, first_name: cells[columns.first_name], last_name: cells[columns.last_name] },
      line,
      line - 2,
    );
    if (index(email, id, line) === undefined) count++;
  }
  const held = retainedMb();
  const model =
    real === undefined ? 'Map' : people === undefined ? 'email-index.js' : 'email-index.js + person-index.js';
  process.stdout.write(
    `${JSON.stringify({ mode, model, rows: count, baseMb: base, retainedMb: held, grownMb: held - base, alive: typeof index + typeof people })}\n`,
  );
} else {
  process.stderr.write('usage: dry-memory.mjs pipeline <dist> <file.csv> <rows> | sets <dist> <file.csv> <rows>\n');
  process.exit(2);
}
