/**
 * What a dry run keeps alive, for #1's memory rule ("grows only by the duplicate-detection sets"):
 *
 *   node --expose-gc bench/dry-memory.mjs pipeline <dist dir> <file.csv> <rows>
 *     runs the real dry run (dist/import/pipeline.js runImport) in this process and, once every
 *     row has been written (the sets are still alive then), reads the heap after a full GC;
 *   node --expose-gc bench/dry-memory.mjs sets <file.csv> <rows>
 *     builds only what the in-file duplicate check must hold for those rows, one Map entry per
 *     distinct lower-cased email plus 4 bytes a row (pipeline.ts createEmailIndex), and reads
 *     the heap the same way.
 *
 * Between 100k and 1M rows the pipeline's retained heap should grow by about what the sets grow
 * by, and not more. Prints one JSON line.
 */
import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';

if (typeof globalThis.gc !== 'function') {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}

function retainedMb() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'pipeline') {
  const [dist, file, rowsText] = rest;
  const rows = Number(rowsText);
  const { runImport } = await import(pathToFileURL(join(resolve(dist), 'import/pipeline.js')).href);
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
  process.stdout.write(`${JSON.stringify({ mode, rows: summary.rows, baseMb: base, retainedMb: atEnd, grownMb: atEnd === undefined ? undefined : atEnd - base })}\n`);
} else if (mode === 'sets') {
  const [file, rowsText] = rest;
  const rows = Number(rowsText);
  const base = retainedMb();
  const owners = new Map();
  let idHashes = new Int32Array(1024);
  let line = 1;
  let emailIndex = -1;
  const parser = createReadStream(file).pipe(parse({ bom: true, to_line: rows + 1 }));
  for await (const cells of parser) {
    line++;
    if (emailIndex < 0) {
      emailIndex = cells.indexOf('email');
      continue;
    }
    if (line >= idHashes.length) {
      const grown = new Int32Array(Math.max(line + 1, idHashes.length * 2));
      grown.set(idHashes);
      idHashes = grown;
    }
    idHashes[line] = line;
    const key = cells[emailIndex].trim().toLowerCase();
    if (!owners.has(key)) owners.set(key, line);
  }
  const held = retainedMb();
  process.stdout.write(`${JSON.stringify({ mode, rows: owners.size, baseMb: base, retainedMb: held, grownMb: held - base, keep: idHashes.length > 0 })}\n`);
} else {
  process.stderr.write('usage: dry-memory.mjs pipeline <dist> <file.csv> <rows> | sets <file.csv> <rows>\n');
  process.exit(2);
}
