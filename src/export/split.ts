/**
 * A fast path for reading GET all when the answer is plain: valid JSON, a bare array of records or
 * an object whose arrays hold records, every value a string, null or an object. The text is
 * scanned only for each record's extent, and each record is `JSON.parse`d on its own: native
 * parsing is faster than stream-json's tokens (BENCHMARKS.md, section 4), and it gives fresh,
 * flat strings (stream-json's are slices that keep its text chunks alive). Memory holds one
 * record's text at a time, never the answer's.
 *
 * Anything else (a number, whose digits JSON.parse would round; a list of scalars; a root that is
 * not a list; text that is not JSON) is not judged here: `NotPlain` sends the caller to the
 * stream-json walk (src/export/walk.ts), which has the full rules, the repair and the messages.
 */
import type { ShapeTracker } from './listing.js';

export class NotPlain extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Is this character, outside a string, the start of a number? */
function isNumberStart(code: number): boolean {
  return code === 0x2d || (code >= 0x30 && code <= 0x39);
}

export interface RecordSplitter {
  /** The next piece of the answer's text. Throws NotPlain. */
  push(text: string): void;
  /** After the last piece: throws NotPlain unless the answer was complete. */
  end(): void;
}

/** Hands each record, flattened by the tracker's rules, to `onRecord`. */
export function createRecordSplitter(tracker: ShapeTracker, onRecord: (record: Record<string, unknown>) => void): RecordSplitter {
  let carry = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** The depth at which list elements sit: 1 for a bare array, 2 inside a root object; 0 outside a list. */
  let listDepth = 0;
  let rootIsObject = false;
  let started = false;
  /** Where the record being read starts in the current text; -1 outside a record. */
  let recordStart = -1;

  function take(text: string, end: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text.slice(recordStart, end + 1));
    } catch {
      throw new NotPlain();
    }
    recordStart = -1;
    const record = tracker.element(value);
    if (record === undefined) throw new NotPlain();
    onRecord(record);
  }

  /** A character outside strings; returns nothing, moves the depth. */
  function structural(code: number, text: string, i: number): void {
    if (!started) {
      if (code !== OPEN_BRACKET && code !== OPEN_BRACE) throw new NotPlain();
      started = true;
      rootIsObject = code === OPEN_BRACE;
      tracker.root(rootIsObject ? 'object' : 'array');
      depth = 1;
      if (!rootIsObject) {
        tracker.beginList(undefined);
        listDepth = 1;
      }
      return;
    }
    if (depth === 0) throw new NotPlain(); // text after the end
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (depth === listDepth) {
        if (code !== OPEN_BRACE) throw new NotPlain();
        recordStart = i;
      } else if (rootIsObject && depth === 1 && code === OPEN_BRACKET) {
        tracker.beginList(undefined);
        listDepth = 2;
      }
      depth++;
      return;
    }
    if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === listDepth && recordStart !== -1) take(text, i);
      else if (depth < listDepth) listDepth = 0;
      return;
    }
    if (isNumberStart(code)) throw new NotPlain();
    // true, false, null, commas and colons: a bare scalar in a list is not a record.
    if (depth === listDepth && code !== 0x2c) throw new NotPlain();
  }

  return {
    push(piece) {
      const text = carry + piece;
      let i = carry.length;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (inString) {
          if (escaped) escaped = false;
          else if (code === BACKSLASH) escaped = true;
          else if (code === QUOTE) inString = false;
          continue;
        }
        if (code === QUOTE) {
          if (!started || depth === listDepth) throw new NotPlain(); // a string as the root or as a list element
          inString = true;
        } else if (!isSpace(code)) {
          structural(code, text, i);
        }
      }
      // Keep only the record being read: its start moves to the beginning of the carried text.
      if (recordStart === -1) {
        carry = '';
      } else {
        carry = text.slice(recordStart);
        recordStart = 0;
      }
    },
    end() {
      if (!started || depth !== 0 || inString || carry !== '') throw new NotPlain();
      tracker.finish();
    },
  };
}
