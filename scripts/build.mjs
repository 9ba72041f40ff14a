#!/usr/bin/env node
/**
 * `npm run build`: the library and the CLI, built two ways on purpose. (Before this script,
 * scripts/inline-assets.mjs turns the report's page.css and page.js into a TypeScript module.)
 *
 * 1. The library: `tsc -p tsconfig.build.json` emits dist/index.js and its modules unbundled,
 *    with .d.ts files, exactly as before (the package's `exports`).
 * 2. The CLI: esbuild bundles src/cli/main.ts and its dependencies into dist/cli/main.js plus a
 *    few lazily loaded chunks beside it. Node then loads a handful of files instead of ~150 small
 *    ESM modules, which was most of the CLI's start-up time (docs/ARCHITECTURE.md, "Build and start-up").
 *
 *   node scripts/build.mjs            everything
 *   node scripts/build.mjs --cli      only the CLI bundle (fast; no type check)
 *   node scripts/build.mjs --analyze  also print what each bundle file holds
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeMetafile, build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The CLI's entry points; each becomes dist/cli/<name>.js, sharing chunks. */
export const CLI_ENTRIES = ['src/cli/main.ts'];
const CLI_OUT = 'dist/cli';

/**
 * A bundle in ESM that contains CommonJS packages (undici, cli-progress, …) still calls
 * `require` for Node's built-ins, and CJS code may read __filename/__dirname. ESM has none of
 * these, so the bundle defines them first. Bundled ESM code declares its own `__dirname`, so
 * the free CJS references are renamed through `define` instead of declared under that name.
 */
const BANNER = [
  "import { createRequire as __cioCreateRequire } from 'node:module';",
  "import { fileURLToPath as __cioFileURLToPath } from 'node:url';",
  "import { dirname as __cioDirname } from 'node:path';",
  'const require = __cioCreateRequire(import.meta.url);',
  'const __cio_filename = __cioFileURLToPath(import.meta.url);',
  'const __cio_dirname = __cioDirname(__cio_filename);',
].join('\n');

/**
 * yargs lays out its help text with string-width, which segments every string into graphemes
 * with Intl.Segmenter, a cost on every run (BENCHMARKS.md, section 6), since yargs renders the
 * help even when it is not shown.
 * Printable ASCII is one column a character, so such strings skip the segmenter; any other
 * string still goes to the real string-width.
 */
const fastStringWidth = {
  name: 'fast-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      // Only ESM importers (yargs, cliui, wrap-ansi); cli-progress require()s an older CJS one.
      if (args.pluginData?.real === true || args.kind !== 'import-statement') return undefined;
      const real = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { real: true },
      });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'fast-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'fast-string-width' }, (args) => ({
      contents: [
        `import realStringWidth from ${JSON.stringify(args.path)};`,
        'const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;',
        'export default function stringWidth(text, options) {',
        "  return typeof text === 'string' && PRINTABLE_ASCII.test(text) ? text.length : realStringWidth(text, options);",
        '}',
      ].join('\n'),
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * undici's cookie helpers read `globalThis.Headers` when undici loads, only to accept Node's own
 * Headers in a brand check. That one read makes Node load its internal copy of undici on every
 * command that sends (measured: BENCHMARKS.md, section 6). The CLI never uses cookies, so the
 * bundle checks undici's own Headers class only.
 */
const skipGlobalHeaders = {
  name: 'skip-global-headers',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]web[\\/]cookies[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const patched = source.replace('[Headers, globalThis.Headers]', '[Headers]');
      if (patched === source)
        throw new Error(`${args.path}: the globalThis.Headers brand check changed; review skipGlobalHeaders`);
      return { contents: patched, loader: 'js' };
    });
  },
};

/**
 * Large JSON data (libphonenumber's metadata, 150 KB, which it ships as `.json` and as a
 * `.json.js` module that default-exports the same object) is embedded as `JSON.parse('…')`
 * rather than as an object literal: V8 parses JSON text faster than the same data as JavaScript.
 * A `.json.js` file whose export is not plain JSON is left alone.
 */
const jsonParse = {
  name: 'json-parse',
  setup(b) {
    b.onLoad({ filter: /\.json(\.js)?$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.length < 10_000) return undefined;
      let data = text;
      if (args.path.endsWith('.js')) {
        const start = text.indexOf('export default ');
        if (start === -1) return undefined;
        data = text
          .slice(start + 'export default '.length)
          .trim()
          .replace(/;$/, '');
      }
      let value;
      try {
        value = JSON.parse(data);
      } catch {
        return undefined;
      }
      return { contents: `export default JSON.parse(${JSON.stringify(JSON.stringify(value))});`, loader: 'js' };
    });
  },
};

function log(message) {
  process.stderr.write(`build: ${message}\n`);
}

function runTsc() {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`tsc exited with ${result.status ?? result.signal}`);
}

export async function buildCli({ outdir = join(ROOT, CLI_OUT), splitting = true } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: CLI_ENTRIES,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20.19',
    format: 'esm',
    // Splitting keeps each command's heavy modules (undici, the emulator, zod, the phone
    // metadata) in chunks loaded by the dynamic imports in src/cli, so `--help` and a dry run
    // do not parse them. Chunks sit beside main.js: code that finds the package root from
    // import.meta.url (`../../`) sees the same depth as in src/.
    splitting,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    banner: { js: BANNER },
    define: { __filename: '__cio_filename', __dirname: '__cio_dirname' },
    // The shebang of src/cli/main.ts is kept by esbuild as the first line.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    // Maps stay in the checkout (`files` leaves *.map out of the package): run the CLI with
    // `node --enable-source-maps dist/cli/main.js … --verbose` for stack traces into src/.
    sourcemap: 'linked',
    logLevel: 'warning',
    metafile: true,
    plugins: [fastStringWidth, skipGlobalHeaders, jsonParse],
  });
  for (const entry of CLI_ENTRIES) {
    const name = entry.replace(/^.*\//, '').replace(/\.ts$/, '.js');
    chmodSync(join(outdir, name), 0o755);
  }
  if (process.argv.includes('--analyze')) process.stderr.write(await analyzeMetafile(result.metafile));
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => !path.endsWith('.map'));
  const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
  log(`CLI bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${relative(ROOT, outdir)}/`);
}

async function main() {
  const cliOnly = process.argv.includes('--cli');
  if (!cliOnly) {
    rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
    runTsc();
  }
  await buildCli();
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
