/**
 * Suite-wide: every CLI transcript and every temp folder lives under one root, and after the
 * last test the whole of it is searched for the user's API key, plain and as the base64 Basic
 * credential (README, "Security": it is never printed and never written to a file).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { TEST_API_KEY as KEY, TEST_PORTAL_CODE as PORTAL } from './fixtures.js';

/** Every file the suite wrote. A symlink is not followed: it points at something the suite did not write. */
function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ciopulse-suite-'));
  project.provide('suiteRoot', root);
  return () => {
    const needles = [KEY, Buffer.from(`${PORTAL}:${KEY}`).toString('base64')];
    const leaks: string[] = [];
    let files = 0;
    for (const path of walk(root)) {
      files++;
      const text = readFileSync(path, 'latin1');
      for (const needle of needles)
        if (text.includes(needle))
          leaks.push(`${path} contains ${needle === KEY ? 'the API key' : 'the base64 credential'}`);
    }
    if (leaks.length > 0) throw new Error(`secret leak check failed in ${leaks.length} file(s):\n${leaks.join('\n')}`);
    // A run of a single file that starts no CLI has nothing to check; the whole suite always does.
    if (files === 0) console.warn('secret leak check: no transcripts or files to check in this run');
    rmSync(root, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    suiteRoot: string;
  }
}
