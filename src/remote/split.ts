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
 * stream-json walk (src/remote/walk.ts), which has the full rules, the repair and the messages.
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

/** Where a splitter is in the answer's text; the functions below each do one job on it. */
interface SplitState {
  readonly tracker: ShapeTracker;
  readonly onRecord: (record: Record<string, unknown>) => void;
  carry: string;
  depth: number;
  inString: boolean;
  escaped: boolean;
  /** The depth at which list elements sit: 1 for a bare array, 2 inside a root object; 0 outside a list. */
  listDepth: number;
  rootIsObject: boolean;
  started: boolean;
  /** Where the record being read starts in the current text; -1 outside a record. */
  recordStart: number;
}

function take(state: SplitState, text: string, end: number): void {
  let value: unknown;
  try {
    value = JSON.parse(text.slice(state.recordStart, end + 1));
  } catch {
    throw new NotPlain();
  }
  state.recordStart = -1;
  const record = state.tracker.element(value);
  if (record === undefined) throw new NotPlain();
  state.onRecord(record);
}

/** The first character outside strings: the root must be a list or an object. */
function startRoot(state: SplitState, code: number): void {
  if (code !== OPEN_BRACKET && code !== OPEN_BRACE) throw new NotPlain();
  state.started = true;
  state.rootIsObject = code === OPEN_BRACE;
  state.tracker.root(state.rootIsObject ? 'object' : 'array');
  state.depth = 1;
  if (!state.rootIsObject) {
    state.tracker.beginList(undefined);
    state.listDepth = 1;
  }
}

/** A character outside strings; returns nothing, moves the depth. */
function structural(state: SplitState, code: number, text: string, i: number): void {
  if (!state.started) return startRoot(state, code);
  if (state.depth === 0) throw new NotPlain(); // text after the end
  if (code === OPEN_BRACE || code === OPEN_BRACKET) {
    if (state.depth === state.listDepth) {
      if (code !== OPEN_BRACE) throw new NotPlain();
      state.recordStart = i;
    } else if (state.rootIsObject && state.depth === 1 && code === OPEN_BRACKET) {
      state.tracker.beginList(undefined);
      state.listDepth = 2;
    }
    state.depth++;
    return;
  }
  if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
    state.depth--;
    if (state.depth === state.listDepth && state.recordStart !== -1) take(state, text, i);
    else if (state.depth < state.listDepth) state.listDepth = 0;
    return;
  }
  if (isNumberStart(code)) throw new NotPlain();
  // true, false, null, commas and colons: a bare scalar in a list is not a record.
  if (state.depth === state.listDepth && code !== 0x2c) throw new NotPlain();
}

function push(state: SplitState, piece: string): void {
  const text = state.carry + piece;
  let i = state.carry.length;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (state.inString) {
      if (state.escaped) state.escaped = false;
      else if (code === BACKSLASH) state.escaped = true;
      else if (code === QUOTE) state.inString = false;
      continue;
    }
    if (code === QUOTE) {
      if (!state.started || state.depth === state.listDepth) throw new NotPlain(); // a string as the root or as a list element
      state.inString = true;
    } else if (!isSpace(code)) {
      structural(state, code, text, i);
    }
  }
  // Keep only the record being read: its start moves to the beginning of the carried text.
  if (state.recordStart === -1) {
    state.carry = '';
  } else {
    state.carry = text.slice(state.recordStart);
    state.recordStart = 0;
  }
}

/** Hands each record, flattened by the tracker's rules, to `onRecord`. */
export function createRecordSplitter(
  tracker: ShapeTracker,
  onRecord: (record: Record<string, unknown>) => void,
): RecordSplitter {
  const state: SplitState = {
    tracker,
    onRecord,
    carry: '',
    depth: 0,
    inString: false,
    escaped: false,
    listDepth: 0,
    rootIsObject: false,
    started: false,
    recordStart: -1,
  };
  return {
    push: (piece) => push(state, piece),
    end() {
      if (!state.started || state.depth !== 0 || state.inString || state.carry !== '') throw new NotPlain();
      tracker.finish();
    },
  };
}
