/**
 * What the mobile check costs per number, on the mobiles of a generated CSV: the pipeline's own
 * `mobileWarning` (dist/contact/schema.js) against libphonenumber-js/max alone
 * (`parsePhoneNumberFromString(value)` then `isValid()`, what a check without a fast path does).
 *
 *   node bench/phone-cost.mjs <dist dir> <file.csv>
 *
 * Each is timed over every mobile, three times, and the best pass counts. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const [dist, file] = process.argv.slice(2);
const { mobileWarning } = await import(pathToFileURL(join(resolve(dist), 'contact', 'schema.js')).href);
const [header, ...rows] = parse(readFileSync(file), { bom: true });
const index = header.indexOf('mobile');
const mobiles = rows.map((cells) => cells[index]).filter((m) => m !== '');

function best(fn) {
  let bestUs = Infinity;
  let result;
  for (let pass = 0; pass < 3; pass++) {
    const started = performance.now();
    result = fn();
    bestUs = Math.min(bestUs, ((performance.now() - started) * 1000) / mobiles.length);
  }
  return { us: bestUs, result };
}

const pipeline = best(() => mobiles.reduce((n, m) => n + (mobileWarning(m) === undefined ? 0 : 1), 0));
const library = best(() =>
  mobiles.reduce((n, m) => n + (parsePhoneNumberFromString(m)?.isValid() === true ? 0 : 1), 0),
);
process.stdout.write(
  `${JSON.stringify({ rows: rows.length, mobiles: mobiles.length, mobileWarningUs: pipeline.us, warnings: pipeline.result, libphonenumberUs: library.us, invalid: library.result })}\n`,
);
