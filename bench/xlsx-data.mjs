/**
 * The bench's rows (data.mjs) as an .xlsx workbook, written the way Excel and LibreOffice write
 * one: every text cell a shared string, the sheet before the shared strings in the zip. That is
 * the reader's hard case: the strings table is held while the sheet streams.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import yazl from 'yazl';
import { DATA_VERSION, forEachRow } from './data.mjs';

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG = 'http://schemas.openxmlformats.org/package/2006/relationships';
const HEADER = ['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile'];
const LETTERS = 'ABCDEF';

const escapeXml = (text) => text.replace(/[&<>]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : '&gt;'));

/** Writes a part to a file a chunk at a time; returns its path. */
async function writePart(path, produce) {
  const file = createWriteStream(path);
  let buffer = '';
  produce((text) => {
    buffer += text;
    if (buffer.length > 1 << 20) {
      file.write(buffer);
      buffer = '';
    }
  });
  file.end(buffer);
  await once(file, 'close');
  return path;
}

/** `contacts-…-<rows>.xlsx` beside the CSV of the same rows (the same cells, in the same order). */
export async function ensureXlsx(dir, { rows, prefix = 'C', seed = 42 }) {
  const path = join(dir, `contacts-v${DATA_VERSION}-${prefix}-${seed}-${rows}.xlsx`);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  let strings = 0;
  const sheet = await writePart(`${tmp}.sheet`, (write) => {
    write(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${MAIN}"><sheetData>`);
    let r = 0;
    const row = (cells) => {
      r++;
      let xml = `<row r="${r}">`;
      cells.forEach((cell, i) => {
        if (cell !== '') xml += `<c r="${LETTERS[i]}${r}" t="s"><v>${strings++}</v></c>`;
      });
      write(`${xml}</row>`);
    };
    row(HEADER);
    forEachRow({ rows, prefix, seed }, row);
    write('</sheetData></worksheet>');
  });
  const shared = await writePart(`${tmp}.strings`, (write) => {
    write(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${MAIN}" count="${strings}">`);
    const row = (cells) => {
      for (const cell of cells) if (cell !== '') write(`<si><t>${escapeXml(cell)}</t></si>`);
    };
    row(HEADER);
    forEachRow({ rows, prefix, seed }, row);
    write('</sst>');
  });
  const zip = new yazl.ZipFile();
  zip.addBuffer(
    Buffer.from('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    '[Content_Types].xml',
  );
  zip.addBuffer(
    Buffer.from(
      `<Relationships xmlns="${PKG}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    '_rels/.rels',
  );
  zip.addBuffer(
    Buffer.from(
      `<workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ),
    'xl/workbook.xml',
  );
  zip.addBuffer(
    Buffer.from(
      `<Relationships xmlns="${PKG}"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    ),
    'xl/_rels/workbook.xml.rels',
  );
  zip.addFile(sheet, 'xl/worksheets/sheet1.xml');
  zip.addFile(shared, 'xl/sharedStrings.xml');
  zip.end();
  const out = createWriteStream(tmp);
  zip.outputStream.pipe(out);
  await once(out, 'close');
  rmSync(sheet);
  rmSync(shared);
  renameSync(tmp, path);
  return path;
}
