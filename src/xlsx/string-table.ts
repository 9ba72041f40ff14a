/**
 * A workbook's shared strings, packed. A sheet refers to them by index, in any order, so they are
 * held while the sheet streams (README, ".xlsx round trips"). As an array of JS strings they cost
 * about 100 bytes each (measured: 114 MB for the 1.16M strings of a 200,000-row workbook), and the
 * parser's substrings can keep whole chunks of the XML alive. Packed as UTF-8 in one growing
 * buffer, with each string's end offset in a typed array, they cost their bytes plus four:
 * outside the JS heap, and decoded only when a cell asks.
 */

export interface StringTable {
  readonly length: number;
  /** The memory the table holds, in bytes: its buffer and its offsets. */
  readonly heldBytes: number;
  /** The string at `index`, or undefined past the end. */
  get(index: number): string | undefined;
}

export interface StringTableBuilder extends StringTable {
  add(text: string): void;
}

export function createStringTable(): StringTableBuilder {
  let bytes = Buffer.allocUnsafe(1 << 16);
  let used = 0;
  /** ends[i] is the byte just past string i; string i starts at ends[i - 1] (0 for the first). */
  let ends = new Uint32Array(1 << 10);
  let length = 0;
  return {
    get length() {
      return length;
    },
    get heldBytes() {
      return bytes.length + ends.byteLength;
    },
    add(text) {
      // A UTF-16 unit becomes at most three UTF-8 bytes.
      const most = used + text.length * 3;
      if (most > bytes.length) {
        const grown = Buffer.allocUnsafe(Math.max(most, bytes.length * 2));
        bytes.copy(grown, 0, 0, used);
        bytes = grown;
      }
      used += bytes.write(text, used, 'utf8');
      if (length === ends.length) {
        const grown = new Uint32Array(ends.length * 2);
        grown.set(ends);
        ends = grown;
      }
      ends[length++] = used;
    },
    get(index) {
      if (!(index >= 0 && index < length)) return undefined;
      const start = index === 0 ? 0 : (ends[index - 1] as number);
      return bytes.toString('utf8', start, ends[index]);
    },
  };
}
