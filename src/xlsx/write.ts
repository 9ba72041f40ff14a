/**
 * Writing a one-sheet .xlsx workbook as a stream (README, ".xlsx round trips"): every cell a text
 * cell (an inline string in a column formatted as Text, numFmt 49 `@`), so a spreadsheet never
 * turns `+61412345678` into a number or `4301234567890` into `4.30123E+12`, not even in a cell
 * typed later; the header bold and frozen, an autofilter over the rows, and column widths fitted
 * to the first rows. The zip is written by yazl as rows arrive, so memory stays flat.
 *
 * It has the CSV writer's interface (src/csv/write.ts), so the run's sink and export use either.
 * A zip is only readable once complete, so a workbook at a regular path is always written to a
 * temporary file and renamed into place at the end.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import yazl from 'yazl';
import { temporaryPathFor, type CsvWriter } from '../csv/write.js';
import { columnLetters, encodeXstring } from './values.js';

export interface XlsxWriterOptions {
  /** Write to `<path>.tmp-<pid>` and rename over `path` at the end (a regular file). */
  atomic?: boolean;
  /** The sheet's name (the input's, for results and errors, so `--sheet <name>` reads them too). */
  sheetName?: string | undefined;
}

/** XML characters collected before a write to the zip stream. */
const FLUSH_CHARS = 64 * 1024;
/** Rows held back to fit the column widths before the first is written. */
const FIT_ROWS = 200;
const MIN_WIDTH = 8;
const MAX_WIDTH = 60;

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

const CONTENT_TYPES =
  `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
  '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
  '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
  '</Types>';

const ROOT_RELS =
  `${XML}<Relationships xmlns="${PKG_REL}">` +
  `<Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

const WORKBOOK_RELS =
  `${XML}<Relationships xmlns="${PKG_REL}">` +
  `<Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/>` +
  `<Relationship Id="rId2" Type="${REL}/styles" Target="styles.xml"/></Relationships>`;

/** Style 1: Text (numFmt 49, `@`); style 2: Text, bold (the header). */
const STYLES =
  `${XML}<styleSheet xmlns="${MAIN}">` +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

/** Anything escapeXml would change; most cells hold none of it. */
// eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot hold are the point
const NEEDS_ESCAPE = /[&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_x[0-9A-Fa-f]{4}_/;

function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return encodeXstring(text).replace(/[&<>"]/g, (ch) =>
    ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : '&quot;',
  );
}

/** Excel's rules for a sheet name: at most 31 characters, none of : \ / ? * [ ]. */
function sheetNameOf(name: string | undefined): string {
  const clean = (name ?? '')
    .replace(/[:\\/?*[\]]/g, ' ')
    .trim()
    .slice(0, 31);
  return clean === '' ? 'Sheet1' : clean;
}

function workbookXml(sheetName: string, width: number, lastRow: number): string {
  const quoted = `'${sheetName.replaceAll("'", "''")}'`;
  const range = `${quoted}!$A$1:$${columnLetters(Math.max(width - 1, 0))}$${lastRow}`;
  return (
    `${XML}<workbook xmlns="${MAIN}" xmlns:r="${REL}"><bookViews><workbookView/></bookViews>` +
    `<sheets><sheet name="${escapeXml(sheetName)}" sheetId="1" r:id="rId1"/></sheets>` +
    `<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">${escapeXml(range)}</definedName></definedNames>` +
    '</workbook>'
  );
}

/** Roughly how many character widths a value needs: wide (East Asian) characters count twice. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += (ch.codePointAt(0) ?? 0) >= 0x1100 ? 2 : 1;
  return width;
}

function rowXml(cells: readonly string[], row: number, style: number): string {
  let xml = `<row r="${row}">`;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i] ?? '';
    if (cell === '') continue; // the column's style makes an empty cell text too
    xml += `<c r="${columnLetters(i)}${row}" s="${style}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(cell)}</t></is></c>`;
  }
  return `${xml}</row>`;
}

export function createXlsxWriter(path: string, options: XlsxWriterOptions = {}): CsvWriter {
  const target = options.atomic === true ? temporaryPathFor(path) : path;
  const sheetName = sheetNameOf(options.sheetName);
  const zip = new yazl.ZipFile();
  const sheet = new PassThrough();
  const file: WriteStream = createWriteStream(target);
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
  };
  file.on('error', fail);
  sheet.on('error', fail);
  zip.outputStream.on('error', fail);
  zip.outputStream.pipe(file);
  zip.addBuffer(Buffer.from(CONTENT_TYPES), '[Content_Types].xml');
  zip.addBuffer(Buffer.from(ROOT_RELS), '_rels/.rels');
  zip.addBuffer(Buffer.from(WORKBOOK_RELS), 'xl/_rels/workbook.xml.rels');
  zip.addBuffer(Buffer.from(STYLES), 'xl/styles.xml');
  zip.addReadStream(sheet, 'xl/worksheets/sheet1.xml');

  let held: (readonly string[])[] | undefined = [];
  let rows = 0;
  let width = 0;
  let drained: Promise<void> | undefined;
  let pending = '';

  /** Hands the XML on in pieces of about 64 KiB: one small write per row would cost a deflate call each. */
  function emit(text: string, force = false): Promise<void> | undefined {
    pending += text;
    if (!force && pending.length < FLUSH_CHARS) return undefined;
    const chunk = pending;
    pending = '';
    if (sheet.write(chunk)) return undefined;
    drained ??= once(sheet, 'drain').then(() => {
      drained = undefined;
    });
    return drained;
  }

  /** The head of the sheet, once the first rows have shown how wide each column should be. */
  function start(): Promise<void> | undefined {
    const first = held ?? [];
    held = undefined;
    const widths: number[] = [];
    for (const cells of first) {
      width = Math.max(width, cells.length);
      cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
    }
    let cols = '';
    for (let i = 0; i < width; i++) {
      const fitted = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, (widths[i] ?? 0) + 2));
      cols += `<col min="${i + 1}" max="${i + 1}" width="${fitted}" style="1" customWidth="1"/>`;
    }
    let xml =
      `${XML}<worksheet xmlns="${MAIN}" xmlns:r="${REL}">` +
      '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
      '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
      `<sheetFormatPr defaultRowHeight="15"/>${width > 0 ? `<cols>${cols}</cols>` : ''}<sheetData>`;
    for (const cells of first) {
      rows++;
      xml += rowXml(cells, rows, rows === 1 ? 2 : 1);
    }
    return emit(xml);
  }

  return {
    path,
    write(row) {
      if (failure !== undefined) return Promise.reject(failure);
      if (held !== undefined) {
        held.push(row.slice());
        return held.length >= FIT_ROWS ? start() : undefined;
      }
      rows++;
      width = Math.max(width, row.length);
      return emit(rowXml(row, rows, rows === 1 ? 2 : 1));
    },
    async end() {
      if (held !== undefined) await start();
      await emit('', true);
      const last = Math.max(rows, 1);
      const filter = width > 0 ? `<autoFilter ref="A1:${columnLetters(width - 1)}${last}"/>` : '';
      sheet.end(`</sheetData>${filter}</worksheet>`);
      zip.addBuffer(Buffer.from(workbookXml(sheetName, width, last)), 'xl/workbook.xml');
      zip.end();
      if (failure === undefined) {
        await Promise.race([
          once(file, 'close'),
          once(file, 'error').then(([error]) => Promise.reject(error as Error)),
        ]);
      }
      if (failure !== undefined) throw failure;
      if (options.atomic === true) renameSync(target, path);
    },
    async abort() {
      held = [];
      sheet.destroy();
      file.destroy();
      if (!file.closed) await once(file, 'close').catch(() => undefined);
      rmSync(target, { force: true });
    },
  };
}
