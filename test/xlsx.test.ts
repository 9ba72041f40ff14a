/**
 * .xlsx workbooks in and out (README, ".xlsx round trips"). The workbooks read here were written by
 * other programs: LibreOffice (the committed files in test/fixtures/xlsx, see its README) and
 * SheetJS (generated in the tests); ours are read back by SheetJS too. The round trip sends
 * exactly the rows another program edited.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import yazl from 'yazl';
import { describe, expect, it } from 'vitest';
import { resolveConnection } from '../src/config.js';
import { exportContacts } from '../src/export/index.js';
import { deleteContacts, importContacts, planImport, validateFile } from '../src/run/entry.js';
import { openWorkbook } from '../src/xlsx/workbook.js';
import { createStringTable } from '../src/xlsx/string-table.js';
import { dateKindOf, formatNumber, serialToIso } from '../src/xlsx/values.js';
import { emulatorEnv, readResults, ROOT, tempDir, useEmulators } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'xlsx');
const start = useEmulators();

/** Reads a workbook's first sheet with SheetJS (another implementation), every cell as its text. */
function readWorkbook(path: string): string[][] {
  const book = XLSX.read(readFileSync(path), { type: 'buffer' });
  const sheet = book.Sheets[book.SheetNames[0] ?? ''];
  if (sheet === undefined) return [];
  return XLSX.utils.sheet_to_json<string[]>(sheet, { header: 1, raw: false, defval: '' });
}

/** Results rows keyed by header, from a results workbook. */
function workbookResults(path: string): Record<string, string>[] {
  const [header, ...rows] = readWorkbook(path);
  return rows.map((row) => Object.fromEntries((header ?? []).map((h, i) => [h, row[i] ?? ''])));
}

/** A workbook written by SheetJS from arrays of cells (a cell object is passed through as is). */
function sheetJsWorkbook(path: string, sheets: Record<string, unknown[][]>): string {
  const book = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets))
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(rows), name);
  writeFileSync(path, XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
  return path;
}

/** A workbook built part by part, for what Excel writes and no library here does (phonetic runs, inline rich text). */
async function handmadeWorkbook(path: string, sheetData: string, sharedStrings: string): Promise<string> {
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const pkg = 'http://schemas.openxmlformats.org/package/2006/relationships';
  const zip = new yazl.ZipFile();
  const parts: Record<string, string> = {
    // The sheet comes before the workbook and the strings in the zip, as Excel writes them.
    'xl/worksheets/sheet1.xml': `<worksheet xmlns="${main}"><sheetData>${sheetData}</sheetData></worksheet>`,
    '[Content_Types].xml': '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    '_rels/.rels': `<Relationships xmlns="${pkg}"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="/xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml': `<workbook xmlns="${main}" xmlns:r="${rel}"><sheets><sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `<Relationships xmlns="${pkg}"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    'xl/sharedStrings.xml': `<sst xmlns="${main}">${sharedStrings}</sst>`,
  };
  for (const [name, text] of Object.entries(parts)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

/** The export's order is the order the API created the contacts in: find rows by system_id. */
function rowsById(sheet: XLSX.WorkSheet): (id: string) => number {
  return (id) => {
    for (let row = 2; row <= 11; row++) if ((sheet[`A${row}`] as XLSX.CellObject | undefined)?.v === id) return row;
    throw new Error(`no row for ${id}`);
  };
}

async function seededEmulator() {
  const emu = await start();
  const connection = resolveConnection({}, emulatorEnv(emu));
  const dir = tempDir('xlsx-');
  const seed = await importContacts({
    input: join(FIXTURES, 'seed.csv'),
    results: join(dir, 'seed.results.csv'),
    connection,
  });
  expect(seed.counts.created).toBe(10);
  return { emu, connection, dir };
}

describe('the shared strings', () => {
  it('are packed as UTF-8 with their offsets: each string back as it went in, about its bytes plus four held', () => {
    const table = createStringTable();
    const samples = ['', 'José', 'Nguyễn', '東京都', '👩‍💻 lead', 'a'.repeat(70_000), 'x'];
    const expected: string[] = [];
    for (let i = 0; i < 300_000; i++) {
      const text = i < samples.length ? (samples[i] as string) : `contact.${i}@example.com`;
      expected.push(text);
      table.add(text);
    }
    expect(table.length).toBe(expected.length);
    expect(table.get(-1)).toBeUndefined();
    expect(table.get(expected.length)).toBeUndefined();
    for (let i = 0; i < expected.length; i += i < 100 ? 1 : 997) expect(table.get(i)).toBe(expected[i]);
    expect(table.get(expected.length - 1)).toBe(expected[expected.length - 1]);
    const utf8 = expected.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    // Grown by doubling: at most twice what it holds, never the ~100 bytes a JS string costs.
    expect(table.heldBytes).toBeLessThanOrEqual(2 * (utf8 + 4 * expected.length) + 3 * 70_000);
    expect(table.heldBytes / expected.length).toBeLessThan(60);
  });
});

describe('numbers, dates and cell references', () => {
  it('writes a number as its shortest exact decimal, never in exponent form', () => {
    expect(formatNumber(379843029871)).toBe('379843029871');
    expect(formatNumber(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatNumber(1e21)).toBe('1000000000000000000000');
    expect(formatNumber(1.5e-7)).toBe('0.00000015');
    expect(formatNumber(-2.5e22)).toBe('-25000000000000000000000');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(61412345678)).toBe('61412345678');
  });

  it('turns date serials into ISO 8601 text, by the cell format', () => {
    expect(serialToIso(45352, 'date', false)).toBe('2024-03-01');
    expect(serialToIso(45352.5, 'datetime', false)).toBe('2024-03-01T12:00:00');
    expect(serialToIso(0.25, 'time', false)).toBe('06:00:00');
    expect(serialToIso(43890, 'date', true)).toBe('2024-03-01'); // 1462 days after the 1900 system's day
    expect(dateKindOf(14, undefined)).toBe('date');
    expect(dateKindOf(164, 'yyyy-mm-dd hh:mm')).toBe('datetime');
    expect(dateKindOf(165, '0.00')).toBeUndefined();
    expect(dateKindOf(166, '"Day "0')).toBeUndefined();
    expect(dateKindOf(49, undefined)).toBeUndefined();
  });
});

describe('reading workbooks other programs wrote', () => {
  it('reads LibreOffice cells by the rules: exact numbers, cached formula values, TRUE, #N/A, ISO dates', async () => {
    const dir = tempDir('xlsx-');
    const input = join(dir, 'values.xlsx');
    copyFileSync(join(FIXTURES, 'lo-values.xlsx'), input);
    const summary = await validateFile({ input });
    expect(summary.format).toBe('xlsx');
    expect(summary.resultsPath).toBe(join(dir, 'values.dryrun.xlsx'));
    const rows = workbookResults(summary.resultsPath);
    expect(rows.map((r) => r.system_id)).toEqual(['379843029871', 'ID-2', 'ID-3', 'ID-4', 'ID-5']);
    // A formula's text result, decoded once: the cell shows a&lt;b.
    expect(rows[0]?.job_title).toBe('a&lt;b');
    expect(rows.map((r) => r.note)).toEqual([
      '0.3',
      'TRUE',
      '2024-03-01',
      '1000000000000000000000',
      '0.333333333333333',
    ]);
    expect(rows[1]?.status).toBe('invalid');
    expect(rows[1]?.error).toMatch(
      /^spreadsheet_error: cell E3 \(column "job_title"\) holds the spreadsheet error #N\/A/,
    );
    // A mobile LibreOffice stored as a number lost its +: refused with the CSV hint.
    expect(rows[2]?.error).toBe(
      'invalid_mobile: cell F4 (column "mobile") holds the number 61412345678, not text, so its + is gone; did you mean +61412345678? Write the + when the number starts with its country code, or pass --fix-missing-plus to add it to every mobile that lost it, and format the column as Text',
    );
    // The opt-in puts the + back on a number cell too.
    const fixed = await validateFile({ input, fixMissingPlus: true, results: join(dir, 'fixed.csv') });
    expect(readResults(join(dir, 'fixed.csv'))[2]).toMatchObject({ status: 'valid', mobile: '61412345678' });
    expect(fixed.counts.invalid).toBe(1);
    expect(rows.filter((r) => r.status === 'valid').map((r) => r.system_id)).toEqual(['379843029871', 'ID-4', 'ID-5']);
  });

  it('refuses every mobile a spreadsheet turned into a number, even one --default-country would accept', async () => {
    const dir = tempDir('xlsx-');
    const input = join(dir, 'typed.xlsx');
    copyFileSync(join(FIXTURES, 'lo-typed.xlsx'), input);
    const summary = await validateFile({ input, defaultCountry: 'AU', results: join(dir, 'typed.csv') });
    expect(summary.counts.invalid).toBe(9); // every row but the one without a mobile
    expect(summary.errorGroups).toEqual([expect.objectContaining({ code: 'invalid_mobile', count: 9, firstLine: 2 })]);
    // --results picks CSV for an .xlsx input: the extension chooses.
    expect(readResults(join(dir, 'typed.csv'))[0]?.mobile).toBe('447868943345');
    expect(existsSync(join(dir, 'typed.errors.csv'))).toBe(true);
  });

  it('names the cell of a formula with no saved value, and reads sheets by name or position', async () => {
    const dir = tempDir('xlsx-');
    const input = sheetJsWorkbook(join(dir, 'book.xlsx'), {
      Notes: [['nothing here']],
      People: [
        ['system_id', 'first_name', 'last_name', 'email'],
        ['P1', 'Ann', 'Lee', 'ann@example.com'],
        ['P2', { t: 'n', f: 'LEN("Bob")' }, 'Ng', 'bob@example.com'],
        [4301234567890, 'Cy', 'Do', 'cy@example.com', 'past the header'],
      ],
    });
    await expect(validateFile({ input })).rejects.toThrow(/no system_id column/);
    for (const sheet of ['People', 'people', '2']) {
      const summary = await validateFile({ input, sheet, results: join(dir, `r-${sheet}.xlsx`) });
      expect(summary.counts).toMatchObject({ valid: 1, invalid: 2 });
    }
    const rows = workbookResults(join(dir, 'r-2.xlsx'));
    expect(rows[1]?.error).toMatch(/^uncached_formula: cell B3 holds a formula with no saved value/);
    expect(rows[2]?.system_id).toBe('4301234567890');
    expect(rows[2]?.error).toMatch(/^ragged_row: row 4 has a value in E4, right of the last header/);
    await expect(validateFile({ input, sheet: 'Missing' })).rejects.toThrow(
      /--sheet Missing: .* has no such sheet; its sheets are 1 "Notes", 2 "People"/,
    );
  });

  it('joins rich text, leaves out phonetic guides, and finds parts by their relationships', async () => {
    const dir = tempDir('xlsx-');
    const input = await handmadeWorkbook(
      join(dir, 'made.xlsx'),
      '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>last_name</t></is></c></row>' +
        '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="s"><v>3</v></c><c r="C3" t="inlineStr"><is><r><t>Gar</t></r><r><rPr><b/></rPr><t>cía</t></r></is></c></row>',
      '<si><t>system_id</t></si><si><t>first_name</t></si><si><r><t>ID</t></r><r><rPr><b/></rPr><t>-9</t></r></si>' +
        '<si><t>美咲</t><rPh sb="0" eb="2"><t>ミサキ</t></rPh><phoneticPr fontId="1"/></si>',
    );
    const summary = await validateFile({ input, results: join(dir, 'made.csv') });
    const [row] = readResults(join(dir, 'made.csv'));
    expect(row).toMatchObject({ system_id: 'ID-9', first_name: '美咲', last_name: 'García', status: 'valid' });
    expect(summary.rows).toBe(1); // the blank row 2 is no row
  });
});

describe('writing workbooks', () => {
  it('exports every cell as text, with a bold frozen header, an autofilter and fitted widths', async () => {
    const { connection, dir } = await seededEmulator();
    const out = join(dir, 'contacts.xlsx');
    const summary = await exportContacts({ connection, out, retries: 0 });
    expect(summary.rows).toBe(10);
    // SheetJS reads our cells as text (type "s"), with every character kept.
    const book = XLSX.read(readFileSync(out), { type: 'buffer' });
    const sheet = book.Sheets.Contacts ?? {};
    const rowOf = rowsById(sheet);
    expect(sheet[`A${rowOf('379843029871')}`]).toMatchObject({ t: 's', v: '379843029871' });
    expect(sheet[`F${rowOf('379843029871')}`]).toMatchObject({ t: 's', v: '+447868943345' });
    expect(sheet[`A${rowOf('000123')}`]).toMatchObject({ t: 's', v: '000123' });
    expect(sheet[`B${rowOf('AGT-10004')}`]).toMatchObject({ t: 's', v: '美咲' });
    expect(sheet['!autofilter']).toEqual({ ref: 'A1:F11' });
    const workbook = await openWorkbook(out);
    try {
      const xml = async (part: string) => {
        let text = '';
        for await (const chunk of await workbook.openPart(part)) text += String(chunk);
        return text;
      };
      const sheetXml = await xml(workbook.sheets[0]?.part ?? '');
      expect(sheetXml).toContain('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>');
      expect(sheetXml).toMatch(/<c r="A1" s="2" t="inlineStr">/);
      const widths = [...sheetXml.matchAll(/<col min="(\d+)" max="\d+" width="(\d+)" style="1"/g)].map((m) =>
        Number(m[2]),
      );
      expect(widths).toHaveLength(6);
      expect(widths[3]).toBeGreaterThan(widths[0] ?? 0); // email is wider than system_id
      const styles = await xml('xl/styles.xml');
      expect(styles).toContain('<xf numFmtId="49" fontId="1"');
      expect(styles).toMatch(/<font><b\/>/);
    } finally {
      workbook.close();
    }
  });

  it('removes the temporary workbook a killed run left, and only when its process is gone', async () => {
    const dir = tempDir('xlsx-');
    const input = join(dir, 'values.xlsx');
    copyFileSync(join(FIXTURES, 'lo-values.xlsx'), input);
    // pid 2^22 + 1 is above Linux's highest pid, so no process has it.
    const stale = join(dir, 'values.dryrun.xlsx.tmp-4194305');
    const live = join(dir, `values.dryrun.xlsx.tmp-${process.ppid}`);
    writeFileSync(stale, 'half a zip');
    writeFileSync(live, 'another run');
    await validateFile({ input });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('writes .xlsx results and errors for an .xlsx input; the errors workbook imports again as it is', async () => {
    const dir = tempDir('xlsx-');
    const input = join(dir, 'values.xlsx');
    copyFileSync(join(FIXTURES, 'lo-values.xlsx'), input);
    const first = await validateFile({ input });
    expect(first.errorsPath).toBe(join(dir, 'values.dryrun.errors.xlsx'));
    const errors = readWorkbook(first.errorsPath);
    expect(errors[0]).toEqual(['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile', 'note']);
    expect(errors.map((r) => r[0])).toEqual(['system_id', 'ID-2', 'ID-3']);
    const again = await validateFile({ input: first.errorsPath });
    expect(again.resultsPath).toBe(join(dir, 'values.retry-1.dryrun.xlsx'));
    expect(again.counts).toMatchObject({ invalid: 2, valid: 0 });
    expect(again.errorGroups.map((g) => g.code).sort()).toEqual(['invalid_mobile', 'spreadsheet_error']);
  });
});

describe('the round trip through another program', () => {
  it('sends nothing for a workbook LibreOffice opened and saved unchanged', async () => {
    const { connection, dir } = await seededEmulator();
    const input = join(dir, 'saved.xlsx');
    copyFileSync(join(FIXTURES, 'lo-saved.xlsx'), input);
    const summary = await importContacts({ input, connection, changedOnly: true });
    expect(summary.counts).toMatchObject({ unchanged: 10, updated: 0, created: 0, invalid: 0 });
  });

  it('sends exactly the rows edited in LibreOffice', async () => {
    const { emu, connection, dir } = await seededEmulator();
    const input = join(dir, 'edited.xlsx');
    copyFileSync(join(FIXTURES, 'lo-edited.xlsx'), input);
    const plan = await planImport({ input, connection });
    expect(plan.counts).toMatchObject({ 'would-update': 3, unchanged: 7 });
    expect(plan.resultsPath).toBe(join(dir, 'edited.plan.xlsx'));
    const summary = await importContacts({ input, connection, changedOnly: true });
    expect(summary.counts).toMatchObject({ unchanged: 7, updated: 3, invalid: 0 });
    const updated = workbookResults(summary.resultsPath).filter((r) => r.status === 'updated');
    expect(updated.map((r) => r.system_id)).toEqual(['AGT-10003', 'AGT-10005', '000123']);
    const byId = new Map(emu.contacts().map((c) => [c.system_id, c]));
    expect(byId.get('AGT-10003')?.first_name).toBe('Lukas');
    expect(byId.get('AGT-10005')?.job_title).toBe('Chief Listener');
    expect(byId.get('000123')?.mobile).toBe('+61400111222');
    expect(byId.get('AGT-10004')?.first_name).toBe('美咲');
  });

  it('sends exactly the cells SheetJS edited in our export', async () => {
    const { emu, connection, dir } = await seededEmulator();
    const out = join(dir, 'contacts.xlsx');
    await exportContacts({ connection, out, retries: 0 });
    const book = XLSX.read(readFileSync(out), { type: 'buffer' });
    const sheet = book.Sheets.Contacts ?? {};
    const rowOf = rowsById(sheet);
    sheet[`E${rowOf('AGT-10002')}`] = { t: 's', v: 'Head of Support' };
    sheet[`C${rowOf('AGT-10006')}`] = { t: 's', v: 'Okafor-Adeyemi' };
    writeFileSync(out, XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
    const summary = await importContacts({ input: out, connection, changedOnly: true });
    expect(summary.counts).toMatchObject({ unchanged: 8, updated: 2 });
    const byId = new Map(emu.contacts().map((c) => [c.system_id, c]));
    expect(byId.get('AGT-10002')?.job_title).toBe('Head of Support');
    expect(byId.get('AGT-10006')?.last_name).toBe('Okafor-Adeyemi');
  });

  it('deletes the system_ids an .xlsx file lists', async () => {
    const { emu, connection, dir } = await seededEmulator();
    const input = sheetJsWorkbook(join(dir, 'leavers.xlsx'), {
      Leavers: [['System ID'], ['AGT-10002'], [379843029871]],
    });
    const summary = await deleteContacts({ input, connection });
    expect(summary.counts.deleted).toBe(2);
    expect(emu.contacts().map((c) => c.system_id)).not.toContain('379843029871');
    expect(summary.resultsPath).toBe(join(dir, 'leavers.delete.xlsx'));
  });
});

describe('resuming a run with .xlsx results', () => {
  it('reads the results workbook and sends only the rows without a final answer', async () => {
    const dir = tempDir('xlsx-');
    const input = join(dir, 'seed.xlsx');
    copyFileSync(join(FIXTURES, 'lo-saved.xlsx'), input);
    // The key is revoked after the credential check and four rows: the run stops there.
    const revoking = await start({ revokeAfter: 5 });
    const first = await importContacts({
      input,
      connection: resolveConnection({}, emulatorEnv(revoking)),
      concurrency: 1,
    });
    expect(first.stopped).toBeDefined();
    expect(first.counts.created).toBe(4);
    const unanswered = 10 - 4;
    expect(first.resultsPath).toBe(join(dir, 'seed.results.xlsx'));
    expect(workbookResults(first.resultsPath).filter((r) => r.status === 'created')).toHaveLength(4);
    const healthy = await start();
    const second = await importContacts({
      input,
      connection: resolveConnection({}, emulatorEnv(healthy)),
      resume: true,
    });
    expect(second.reused).toBe(4);
    expect(second.counts).toMatchObject({ created: 10, failed: 0 });
    // Only the rows the first run did not apply reached the second server.
    expect(healthy.contacts()).toHaveLength(unanswered);
    expect(workbookResults(second.resultsPath).every((r) => r.status === 'created')).toBe(true);
  });
});
