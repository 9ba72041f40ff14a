/**
 * The library as a TypeScript user sees it (docs/LIBRARY.md, "What it exports"): what src/index.ts
 * and the subpaths `ciopulse-contacts/emulator` and `ciopulse-contacts/report` export, that a
 * consumer compiles against the built package through its `exports` map, that importing it does
 * not load undici, and that its entry points work in-process against the emulator.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import * as emulatorLib from '../src/emulator/index.js';
import * as reportLib from '../src/report/index.js';
import { startEmulator } from '../src/emulator/index.js';
import {
  AuthError,
  CiopulseError,
  Secret,
  STATUSES,
  exportContacts,
  importContacts,
  resolveExitCode,
  validateFile,
  type Connection,
  type ExportSummary,
  type ImportOptions,
  type ResultRow,
  type RowErrorCode,
  type RowStatus,
  type RunSummary,
  type ValidateOptions,
} from '../src/index.js';
import { ROOT, readResults, tempDir, writeFile } from './helpers.js';

const HEADER = 'system_id,first_name,last_name,email,job_title,mobile';

/** The runtime exports of the main entry: a change here is a change to the public API. */
const RUNTIME_EXPORTS = [
  'ApiError',
  'AuthError',
  'CONTACT_FIELDS',
  'CiopulseError',
  'ConfigError',
  'DEFAULT_BASE_URL',
  'FileError',
  'InternalError',
  'InterruptedError',
  'NotFoundError',
  'NothingToResumeError',
  'DeclinedError',
  'SyncRefusedError',
  'syncContacts',
  'parseWhere',
  'RunLockedError',
  'STATUSES',
  'Secret',
  'UnfinishedRunError',
  'UsageError',
  'deleteContacts',
  'exportContacts',
  'getContact',
  'importContacts',
  'planImport',
  'resolveConnection',
  'resolveExitCode',
  'validateFile',
];

/** `ciopulse-contacts/emulator` and `ciopulse-contacts/report`. */
const EMULATOR_EXPORTS = ['startEmulator'];
const REPORT_EXPORTS = ['createReportCollector', 'formatSummary', 'nextCommand', 'summaryToJson', 'writeHtmlReport'];

describe('library: the public surface', () => {
  it('the main entry exports the entry points, errors and Secret; the emulator and the report are subpaths', () => {
    expect(Object.keys(lib).sort()).toEqual([...RUNTIME_EXPORTS].sort());
    expect(Object.keys(emulatorLib).sort()).toEqual(EMULATOR_EXPORTS);
    expect(Object.keys(reportLib).sort()).toEqual(REPORT_EXPORTS);
    for (const internal of [
      'BACKOFF_BASE_MS',
      'createRequestGate',
      'createApiClient',
      'findEscapedChar',
      'parseApiJson',
      'createRowParser',
      'toRowErrors',
      'extractRecords',
      'runExport',
      'runImport',
      ...EMULATOR_EXPORTS,
      ...REPORT_EXPORTS,
    ]) {
      expect(lib).not.toHaveProperty(internal);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.', './emulator', './report', './package.json']);
  });

  it('compiles a consumer of the built package through its exports map; internals and a client are type errors', () => {
    const dir = tempDir('lib-types-');
    const consumer = `
import { validateFile, importContacts, exportContacts, Secret, UsageError, STATUSES, type RunSummary, type ImportOptions, type ExportOptions, type RowStatus, type RowErrorCode, type Connection } from 'ciopulse-contacts';
import { startEmulator, type Emulator, type EmulatorOptions } from 'ciopulse-contacts/emulator';
import { createReportCollector, formatSummary, writeHtmlReport, type HtmlReportOptions } from 'ciopulse-contacts/report';
import * as lib from 'ciopulse-contacts';
export async function use(connection: Connection): Promise<RowStatus[]> {
  const summary: RunSummary = await validateFile({ input: 'x.csv' });
  const options: ImportOptions = { input: 'x.csv', connection, concurrency: 4, onRow: (row) => void row.status };
  const exported: ExportOptions = { connection, out: 'out.csv', retries: 2 };
  // @ts-expect-error an export reads through its own client, never one passed in
  const withClient: ExportOptions = { client: {}, out: 'out.csv' };
  const code: RowErrorCode = 'invalid_email';
  const settings: EmulatorOptions = { port: 0, seed: 7 };
  const emulator: Emulator = await startEmulator(settings);
  await emulator.close();
  const collector = createReportCollector();
  const report: HtmlReportOptions = { summary, collected: collector, outPath: 'r.html' };
  void new Secret('k').reveal; void new UsageError('u').hint; void importContacts; void exportContacts; void options; void exported; void withClient; void code;
  void formatSummary(summary); void writeHtmlReport; void report;
  // @ts-expect-error internals are not exported
  void lib.createApiClient;
  // @ts-expect-error the emulator is a subpath, not in the main entry
  void lib.startEmulator;
  return [...STATUSES].filter((s) => summary.counts[s] > 0);
}
`;
    expectCompiles(dir, [writeFile(dir, 'consumer.ts', consumer)]);
  }, 60_000);
});

/**
 * Type-checks `files` as a user's project would: the package an installed dependency, resolved
 * through package.json "exports" and its "types", beside the `also` packages the files import.
 */
function expectCompiles(dir: string, files: string[], also: string[] = []): void {
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'ciopulse-contacts'), 'dir');
  for (const name of also) symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  const tsconfig = {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2024'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      // The declarations were checked when the build emitted them; this checks the consumer against them.
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    files,
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}

describe('library: the examples in the docs', () => {
  it('every TypeScript example of README.md and docs/LIBRARY.md compiles against the built package', () => {
    const dir = tempDir('lib-docs-');
    const files: string[] = [];
    for (const doc of ['README.md', 'docs/LIBRARY.md']) {
      const blocks = [...readFileSync(join(ROOT, doc), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)];
      expect(blocks.length, doc).toBeGreaterThan(0);
      // .mts: each example is an ES module of its own, with top-level await as a reader would paste it.
      blocks.forEach((block, i) => files.push(writeFile(dir, `${doc.replace(/\W/g, '-')}-${i}.mts`, block[1] ?? '')));
    }
    expectCompiles(dir, files, ['vitest']);
  }, 60_000);
});

describe('library: importing it does not load undici', () => {
  it('dist/index.js and a validateFile run resolve no undici module; the first sending module does', () => {
    const dir = tempDir('lib-undici-');
    const log = join(dir, 'resolved.log');
    const input = writeFile(dir, 'contacts.csv', `${HEADER}\nA1,Ann,Lee,ann@example.com,,\n`);
    // A resolve hook (node:module register) that appends every resolved URL to the log, synchronously.
    const hooks = writeFile(
      dir,
      'hooks.mjs',
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(process.env.RESOLVE_LOG, result.url + '\\n');\n  return result;\n}\n`,
    );
    const register = writeFile(
      dir,
      'register.mjs',
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const dist = pathToFileURL(join(ROOT, 'dist', 'index.js')).href;
    const client = pathToFileURL(join(ROOT, 'dist', 'api', 'client.js')).href;
    const script = `
import { appendFileSync } from 'node:fs';
const lib = await import(${JSON.stringify(dist)});
const summary = await lib.validateFile({ input: ${JSON.stringify(input)} });
appendFileSync(process.env.RESOLVE_LOG, 'MARK validated ' + summary.counts.valid + '\\n');
await import(${JSON.stringify(client)});
`;
    const child = spawnSync(
      process.execPath,
      ['--import', pathToFileURL(register).href, '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        env: { ...process.env, RESOLVE_LOG: log, NODE_OPTIONS: '' },
        timeout: 30_000,
      },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const mark = lines.findIndex((line) => line.startsWith('MARK '));
    expect(lines[mark]).toBe('MARK validated 1');
    const before = lines.slice(0, mark);
    const after = lines.slice(mark + 1);
    // The hook sees the library and its other dependencies...
    expect(before).toContain(dist);
    expect(before.some((url) => url.includes('/node_modules/csv-parse/'))).toBe(true);
    // ...but no undici until a module that sends is loaded; then it does see it.
    expect(before.filter((url) => url.includes('/node_modules/undici/'))).toEqual([]);
    expect(after.some((url) => url.includes('/node_modules/undici/'))).toBe(true);
  }, 30_000);
});

describe('library: the entry points in-process', () => {
  it('validateFile: a bad row is data with a stable code; the summary is typed', async () => {
    const dir = tempDir('lib-validate-');
    const input = writeFile(
      dir,
      'contacts.csv',
      `${HEADER}\nA1,Ann,Lee,ann@example.com,,\nA2,Bob,Ray,not-an-email,,\n`,
    );
    const rows: ResultRow[] = [];
    const options: ValidateOptions = { input, onRow: (row) => rows.push(row) };
    const summary: RunSummary = await validateFile(options);
    expect(summary.mode).toBe('dry-run');
    expect(summary.rows).toBe(2);
    expect(summary.counts.valid).toBe(1);
    expect(summary.counts.invalid).toBe(1);
    const codes: RowErrorCode[] = summary.errorGroups.map((group) => group.code);
    expect(codes).toEqual(['invalid_email']);
    const statuses: RowStatus[] = rows.map((row) => row.status);
    expect(statuses).toEqual(['valid', 'invalid']);
    expect(rows[1]?.errors?.[0]?.code).toBe('invalid_email');
    expect(readResults(summary.resultsPath).map((row) => row.status)).toEqual(['valid', 'invalid']);
    expect(resolveExitCode(summary)).toBe(1);
    expect(STATUSES).toContain(rows[0]?.status);
  });

  it('importContacts against startEmulator, then exportContacts with a connection, all from the library', async () => {
    const emulator = await startEmulator({ port: 0 });
    try {
      const dir = tempDir('lib-import-');
      const input = writeFile(
        dir,
        'contacts.csv',
        `${HEADER}\nA1,Ann,Lee,ann@example.com,,\nA2,Bob,Ray,bob@example.com,Chef,+61412345678\n`,
      );
      const connection: Connection = {
        baseUrl: emulator.baseUrl,
        portalCode: emulator.portalCode,
        apiKey: new Secret(emulator.apiKey),
      };
      const options: ImportOptions = { input, connection, concurrency: 2 };
      const summary: RunSummary = await importContacts(options);
      expect(summary.mode).toBe('import');
      expect(summary.counts.created).toBe(2);
      expect(summary.stopped).toBeUndefined();
      expect(resolveExitCode(summary)).toBe(0);
      expect(
        emulator
          .contacts()
          .map((c) => c.system_id)
          .sort(),
      ).toEqual(['A1', 'A2']);

      const out = join(dir, 'export.csv');
      const exported: ExportSummary = await exportContacts({ connection, out });
      expect(exported.rows).toBe(2);
      expect(exported.out).toBe(out);
      const text = readFileSync(out, 'utf8');
      expect(text.split(/\r?\n/)[0]).toBe(HEADER);
      expect(text).toContain('A2,Bob,Ray,bob@example.com,Chef,+61412345678');

      // A wrong key is a typed error the caller can catch.
      const wrong: Connection = { ...connection, apiKey: new Secret('x'.repeat(40)) };
      const failure = await exportContacts({ connection: wrong, out: join(dir, 'never.csv') }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(AuthError);
      expect(failure).toBeInstanceOf(CiopulseError);

      // get's library call: the six fields first, snake_case; a 404 and an id no URL can hold are typed errors.
      const contact = await lib.getContact('A2', { connection });
      expect(Object.keys(contact).slice(0, 6)).toEqual([
        'system_id',
        'first_name',
        'last_name',
        'email',
        'job_title',
        'mobile',
      ]);
      expect(contact).toMatchObject({ system_id: 'A2', job_title: 'Chef', mobile: '+61412345678' });
      const missing = await lib.getContact('NOPE', { connection }).catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(lib.NotFoundError);
      expect((missing as Error).message).toContain('no contact with system_id "NOPE"');
      await expect(lib.getContact('..', { connection })).rejects.toBeInstanceOf(lib.UsageError);
    } finally {
      await emulator.close();
    }
  });
});
