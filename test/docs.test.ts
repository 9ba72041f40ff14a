/**
 * The documents the code cites stay in step with the code: every `(README, "<heading>")` in a
 * comment names a heading README.md has, and so for docs/LIBRARY.md and docs/ARCHITECTURE.md.
 * A section renamed or moved without its citations fails here, naming the file and the line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** The headings of a Markdown file, outside fenced code blocks, as written after the `#`s. */
export function headingsOf(markdown: string): Set<string> {
  const headings = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) {
      const match = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
      if (match?.[1] !== undefined) headings.add(match[1]);
    }
  }
  return headings;
}

/**
 * Every `DOC, "heading"` citation in a source text. The comment may break its line after the
 * comma or inside the heading: the comment marks of the next line then read as one space.
 */
export function citationsOf(source: string, doc: string): { heading: string; line: number }[] {
  const escaped = doc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?<![\\w/.])${escaped},\\s*(?:(?:\\*|//)\\s*)?"([^"]{1,200})"`, 'g');
  const found: { heading: string; line: number }[] = [];
  for (const match of source.matchAll(pattern)) {
    const line = source.slice(0, match.index).split('\n').length;
    found.push({ heading: (match[1] ?? '').replace(/\s*\n\s*(?:\*|\/\/)?\s*/g, ' '), line });
  }
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'fixtures') out.push(...filesUnder(path));
    } else if (/\.(ts|mts|mjs|js|md)$/.test(name)) out.push(path);
  }
  return out;
}

const CITED = [
  { cite: 'README', file: 'README.md' },
  { cite: 'docs/LIBRARY.md', file: 'docs/LIBRARY.md' },
  { cite: 'docs/ARCHITECTURE.md', file: 'docs/ARCHITECTURE.md' },
];

describe('citations of the documents', () => {
  it('finds a citation that breaks its line after the comma, and headings outside code fences only', () => {
    const source =
      '// one (README, "Statuses").\n/* two (README,\n * "Exit codes") */ x(docs/LIBRARY.md, "Errors")\n// (README, "Encodings,\n// delimiters")';
    expect(citationsOf(source, 'README')).toEqual([
      { heading: 'Statuses', line: 1 },
      { heading: 'Exit codes', line: 2 },
      { heading: 'Encodings, delimiters', line: 4 },
    ]);
    expect(citationsOf(source, 'docs/LIBRARY.md')).toEqual([{ heading: 'Errors', line: 3 }]);
    expect([...headingsOf('# A\n```sh\n# a comment\n```\n## B `c`\n')]).toEqual(['A', 'B `c`']);
  });

  it.each(CITED)(
    'every ($cite, "…") in src/, test/, scripts/, bench/ and docs/ names a heading of $file',
    ({ cite, file }) => {
      const headings = headingsOf(readFileSync(join(ROOT, file), 'utf8'));
      const broken: string[] = [];
      for (const dir of ['src', 'test', 'scripts', 'bench', 'docs']) {
        // This file's own examples are not citations.
        for (const path of filesUnder(join(ROOT, dir)).filter((file) => file !== import.meta.filename)) {
          for (const { heading, line } of citationsOf(readFileSync(path, 'utf8'), cite)) {
            if (!headings.has(heading)) broken.push(`${relative(ROOT, path)}:${line}: "${heading}"`);
          }
        }
      }
      expect(broken).toEqual([]);
    },
  );
});

describe('links between the documents', () => {
  it('makes the anchors GitHub makes', () => {
    expect(anchorOf('Cells: empty, `null`, `#N/A`')).toBe('cells-empty-null-na');
    expect(anchorOf('.xlsx round trips')).toBe('xlsx-round-trips');
    expect(anchorOf('Retries, failures and security')).toBe('retries-failures-and-security');
  });

  it.each(['README.md', 'docs/LIBRARY.md', 'docs/ARCHITECTURE.md', 'docs/MESSAGES.md'])(
    'every link from %s to a Markdown file or a #section lands on a file and a heading that exist',
    (file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const broken: string[] = [];
      for (const match of text.matchAll(/\]\(([^)\s]*?)(?:#([^)\s]+))?\)/g)) {
        const [link, target = '', anchor] = match;
        if (/^[a-z]+:/.test(target) || (target !== '' && !target.endsWith('.md'))) continue;
        const path = target === '' ? join(ROOT, file) : join(ROOT, dirname(file), target);
        let headings: Set<string>;
        try {
          headings = headingsOf(readFileSync(path, 'utf8'));
        } catch {
          broken.push(`${link}: no such file`);
          continue;
        }
        if (anchor !== undefined && ![...headings].some((heading) => anchorOf(heading) === anchor)) {
          broken.push(`${link}: no such heading`);
        }
      }
      expect(broken).toEqual([]);
    },
  );
});
