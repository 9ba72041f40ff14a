/**
 * One worksheet part, streamed: inflate → UTF-8 → SAX → rows, in batches of what one chunk held.
 * The next chunk is inflated only when the consumer asks for more rows, so memory stays flat
 * whatever the sheet's size. Each cell becomes text by the rules in README ".xlsx round trips":
 *
 *   t="s"          the shared string             t="inlineStr"  its <is> text, runs joined
 *   t="str"        a formula's text result        t="b"          TRUE / FALSE
 *   t="e"          the error value (#N/A)         t="d"          the ISO 8601 text as stored
 *   number         its exact decimal, or ISO 8601 text when its style is a date format
 *
 * A formula whose cell holds no cached value (`<f>` without `<v>`: a file saved by a program
 * that does not calculate) is reported, never read as an empty cell.
 */
import type { Readable } from 'node:stream';
import { createXmlParser, localName } from './workbook.js';
import { columnIndexOf, decodeXstring, numberText, serialToIso, type DateKind } from './values.js';
import type { StringTable } from './string-table.js';

export interface SheetRow {
  /** The row number shown in the spreadsheet (1-based). */
  row: number;
  /** Cell texts by column index; a gap is ''. */
  values: string[];
  /** Columns whose cell is a number (or a date) rather than text. */
  numeric: number[] | undefined;
  /** Columns whose cell is a formula with no cached value. */
  uncached: number[] | undefined;
}

export interface SheetTables {
  strings: StringTable;
  dateStyles: readonly (DateKind | undefined)[];
  date1904: boolean;
}

/** A cell being read. */
interface CellState {
  column: number;
  type: string;
  style: number;
  value: string | undefined;
  formula: boolean;
}

function cellText(cell: CellState, tables: SheetTables): { text: string; numeric: boolean } {
  const raw = cell.value ?? '';
  switch (cell.type) {
    case 's':
      return { text: tables.strings.get(Number(raw)) ?? '', numeric: false };
    case 'inlineStr':
      return { text: decodeXstring(raw), numeric: false };
    case 'str':
      return { text: decodeXstring(raw), numeric: false };
    case 'b':
      return { text: raw.trim() === '1' || raw.trim() === 'true' ? 'TRUE' : 'FALSE', numeric: false };
    case 'e':
    case 'd':
      return { text: raw, numeric: false };
    default: {
      const date = tables.dateStyles[cell.style];
      const value = Number(raw);
      if (date !== undefined && raw.trim() !== '' && Number.isFinite(value))
        return { text: serialToIso(value, date, tables.date1904), numeric: true };
      return { text: numberText(raw), numeric: raw.trim() !== '' };
    }
  }
}

/** Rows of the sheet in batches; `onChunk` hears how many characters of XML each chunk held (for progress). */
export async function* readSheetRows(
  stream: Readable,
  tables: SheetTables,
  onChunk?: (length: number) => void,
): AsyncGenerator<SheetRow[]> {
  const parser = createXmlParser();
  let batch: SheetRow[] = [];
  let row: SheetRow | undefined;
  let lastRow = 0;
  let cell: CellState | undefined;
  // Which element's text is being collected: <v>, or a <t> of an inline string (not inside <rPh>).
  let collecting = false;
  let phonetic = 0;

  parser.on('opentag', (tag) => {
    const name = localName(tag.name);
    switch (name) {
      case 'row': {
        const r = Number(tag.attributes.r);
        lastRow = Number.isInteger(r) && r > 0 ? r : lastRow + 1;
        row = { row: lastRow, values: [], numeric: undefined, uncached: undefined };
        break;
      }
      case 'c': {
        if (row === undefined) break;
        const ref = tag.attributes.r;
        const column = ref === undefined ? -1 : columnIndexOf(ref);
        cell = {
          column: column >= 0 ? column : row.values.length,
          type: tag.attributes.t ?? 'n',
          style: Number(tag.attributes.s ?? 0),
          value: undefined,
          formula: false,
        };
        break;
      }
      case 'v':
        if (cell !== undefined) {
          cell.value = '';
          collecting = true;
        }
        break;
      case 'f':
        if (cell !== undefined) cell.formula = true;
        break;
      case 'is':
        if (cell !== undefined) cell.value = '';
        break;
      case 'rPh':
        phonetic++;
        break;
      case 't':
        if (cell !== undefined && phonetic === 0) collecting = true;
        break;
      default:
        break;
    }
  });
  const text = (chunk: string): void => {
    if (collecting && cell !== undefined) cell.value += chunk;
  };
  parser.on('text', text);
  parser.on('cdata', text);
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    if (name === 'v' || name === 't') collecting = false;
    else if (name === 'rPh') phonetic--;
    else if (name === 'c' && cell !== undefined && row !== undefined) {
      const current = cell;
      cell = undefined;
      while (row.values.length < current.column) row.values.push('');
      if (current.value === undefined) {
        // No cached value: an empty cell, or a formula that was never calculated.
        if (current.formula) (row.uncached ??= []).push(current.column);
        row.values[current.column] = '';
        return;
      }
      const { text: value, numeric } = cellText(current, tables);
      row.values[current.column] = value;
      if (numeric) (row.numeric ??= []).push(current.column);
    } else if (name === 'row' && row !== undefined) {
      batch.push(row);
      row = undefined;
    }
  });

  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream) {
      onChunk?.((chunk as string).length);
      parser.write(chunk as string);
      if (batch.length > 0) {
        const ready = batch;
        batch = [];
        yield ready;
      }
    }
    parser.close();
    if (batch.length > 0) yield batch;
  } finally {
    stream.destroy();
  }
}
