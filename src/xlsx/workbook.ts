/**
 * An .xlsx file's parts, found the way the format says (ECMA-376 part 2, Open Packaging
 * Conventions): the package relationships name the workbook, the workbook lists its sheets in
 * tab order, and the workbook's relationships say which part holds each sheet, the shared
 * strings and the styles. Parts are read from the zip's central directory, so their order in
 * the file does not matter. The sheet itself is streamed by sheet.ts.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { FileError } from '../errors.js';
import { FILE_ERRORS, HINTS } from '../error-messages.js';
import { dateKindOf, decodeXstring, type DateKind } from './values.js';
import { createStringTable, type StringTable } from './string-table.js';

export interface SheetInfo {
  name: string;
  /** The part that holds it, e.g. `xl/worksheets/sheet1.xml`. */
  part: string;
}

export interface Workbook {
  path: string;
  /** In tab order. */
  sheets: SheetInfo[];
  /** The 1904 date system (old Excel for Mac). */
  date1904: boolean;
  /** Reads what the chosen sheet needs: the shared strings and which styles are dates. */
  loadTables(): Promise<{ strings: StringTable; dateStyles: (DateKind | undefined)[] }>;
  /** The part's bytes, inflated, as a stream. */
  openPart(part: string): Promise<Readable>;
  /** The inflated size of a part, for progress. */
  partSize(part: string): number;
  close(): void;
}

/** `x:row` → `row`: some writers prefix SpreadsheetML's names. */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

export function notAWorkbook(path: string, why: string): FileError {
  return new FileError(FILE_ERRORS.notAWorkbook(path, why), {
    file: path,
    hint: HINTS.resaveWorkbook(),
  });
}

/** A SAX parser for SpreadsheetML: plain names (no namespace processing), no position tracking. */
export function createXmlParser(): SaxesParser<{ xmlns: false; position: false }> {
  return new SaxesParser({ xmlns: false, position: false });
}

type Handlers = {
  open?: (name: string, tag: SaxesTagPlain) => void;
  text?: (text: string) => void;
  close?: (name: string) => void;
};

/** Parses a whole (small or streamed-through) part with push handlers. */
async function parsePart(stream: Readable, handlers: Handlers): Promise<void> {
  const parser = createXmlParser();
  if (handlers.open !== undefined) {
    const open = handlers.open;
    parser.on('opentag', (tag) => open(localName(tag.name), tag));
  }
  if (handlers.text !== undefined) {
    parser.on('text', handlers.text);
    parser.on('cdata', handlers.text);
  }
  if (handlers.close !== undefined) {
    const close = handlers.close;
    parser.on('closetag', (tag) => close(localName(tag.name)));
  }
  stream.setEncoding('utf8');
  for await (const chunk of stream) parser.write(chunk as string);
  parser.close();
}

function resolveTarget(fromPart: string, target: string): string {
  if (target.startsWith('/')) return posix.normalize(target.slice(1));
  return posix.normalize(posix.join(posix.dirname(fromPart), target));
}

/** `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`. */
function relsPartOf(part: string): string {
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
}

async function readRels(wb: Pick<Workbook, 'openPart'>, has: (part: string) => boolean, part: string) {
  const rels = new Map<string, { type: string; target: string }>();
  const relsPart = relsPartOf(part);
  if (!has(relsPart)) return rels;
  await parsePart(await wb.openPart(relsPart), {
    open: (name, tag) => {
      if (name !== 'Relationship') return;
      const { Id, Type, Target, TargetMode } = tag.attributes;
      if (Id !== undefined && Target !== undefined && TargetMode !== 'External')
        rels.set(Id, { type: Type ?? '', target: resolveTarget(part, Target) });
    },
  });
  return rels;
}

/** Opens the zip and reads the workbook's sheet list; throws FileError when it is no workbook. */
export async function openWorkbook(path: string): Promise<Workbook> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: false });
  } catch (error) {
    throw notAWorkbook(path, `it is not a readable zip file (${(error as Error).message})`);
  }
  try {
    const entries = new Map<string, Entry>();
    for await (const entry of zip.eachEntry()) entries.set(entry.fileName.replace(/^\//, ''), entry);
    const has = (part: string): boolean => entries.has(part);
    const openPart = async (part: string): Promise<Readable> => {
      const entry = entries.get(part);
      if (entry === undefined) throw notAWorkbook(path, `the part ${part} is missing`);
      return zip.openReadStreamPromise(entry);
    };
    const access = { openPart };

    const rootRels = await readRels(access, has, '');
    const officeDocument = [...rootRels.values()].find((r) => r.type.endsWith('/officeDocument'));
    const workbookPart = officeDocument?.target ?? 'xl/workbook.xml';
    if (!has(workbookPart)) throw notAWorkbook(path, 'it holds no workbook part (xl/workbook.xml)');
    const rels = await readRels(access, has, workbookPart);

    const sheets: SheetInfo[] = [];
    let date1904 = false;
    await parsePart(await openPart(workbookPart), {
      open: (name, tag) => {
        if (name === 'workbookPr') date1904 = ['1', 'true'].includes(tag.attributes.date1904 ?? '');
        if (name !== 'sheet') return;
        const rid = Object.entries(tag.attributes).find(([key]) => localName(key) === 'id')?.[1];
        const rel = rid === undefined ? undefined : rels.get(rid);
        // Chart sheets and dialog sheets hold no cells.
        if (rel === undefined || !rel.type.endsWith('/worksheet') || !has(rel.target)) return;
        sheets.push({ name: decodeXstring(tag.attributes.name ?? ''), part: rel.target });
      },
    });
    if (sheets.length === 0) throw notAWorkbook(path, 'it holds no worksheet');
    const partOfType = (suffix: string): string | undefined =>
      [...rels.values()].find((r) => r.type.endsWith(suffix) && has(r.target))?.target;

    return {
      path,
      sheets,
      date1904,
      openPart,
      partSize: (part) => entries.get(part)?.uncompressedSize ?? 0,
      loadTables: async () => ({
        strings: await readSharedStrings(access, partOfType('/sharedStrings')),
        dateStyles: await readDateStyles(access, partOfType('/styles')),
      }),
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}

/**
 * The shared strings, in order. Each `<si>` is its `<t>` texts joined (rich text runs are one
 * string); phonetic guides (`<rPh>`, the reading Excel keeps beside Japanese text) are not part
 * of the value. Held packed (string-table.ts): a sheet refers to them by index, in any order.
 */
async function readSharedStrings(wb: Pick<Workbook, 'openPart'>, part: string | undefined): Promise<StringTable> {
  const strings = createStringTable();
  if (part === undefined) return strings;
  let current = '';
  let inText = false;
  let phonetic = 0;
  await parsePart(await wb.openPart(part), {
    open: (name) => {
      if (name === 'si') current = '';
      else if (name === 't') inText = phonetic === 0;
      else if (name === 'rPh') phonetic++;
    },
    text: (text) => {
      if (inText) current += text;
    },
    close: (name) => {
      if (name === 't') inText = false;
      else if (name === 'rPh') phonetic--;
      else if (name === 'si') strings.add(decodeXstring(current));
    },
  });
  return strings;
}

/** For each cell style (`s` on a cell: an index into `<cellXfs>`), whether its number format is a date. */
async function readDateStyles(
  wb: Pick<Workbook, 'openPart'>,
  part: string | undefined,
): Promise<(DateKind | undefined)[]> {
  const kinds: (DateKind | undefined)[] = [];
  if (part === undefined) return kinds;
  const codes = new Map<number, string>();
  const formatIds: number[] = [];
  let inCellXfs = false;
  await parsePart(await wb.openPart(part), {
    open: (name, tag) => {
      if (name === 'numFmt') codes.set(Number(tag.attributes.numFmtId), tag.attributes.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) formatIds.push(Number(tag.attributes.numFmtId ?? 0));
    },
    close: (name) => {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  for (const id of formatIds) kinds.push(dateKindOf(id, codes.get(id)));
  return kinds;
}
