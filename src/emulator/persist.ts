/**
 * `--data file.json`: the emulator's contacts on disk as `{"contacts":[…]}` (snake_case, one
 * contact a line). Writes are atomic (a temporary file, then rename), so a crash leaves the old
 * file or the new one, never half of one. They are debounced, so persistence costs a benchmark
 * one background write every few hundred milliseconds rather than one per PUT.
 */
import { writeFailure } from '../errno.js';
import { readFileSync } from 'node:fs';
import { chmod, rename, rm, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Contact } from '../contact/schema.js';
import { CONTACT_FIELDS, type ContactField } from '../contact/fields.js';
import { FileError } from '../errors.js';
import type { ContactStore } from './store.js';

/** At most one write per this many ms; a large store stretches the gap (see `createPersister`). */
export const PERSIST_INTERVAL_MS = 200;

const storedText = z.string().nullable().default(null);

const dataFileSchema = z.object({
  contacts: z.array(
    z.object({
      system_id: z.string().min(1),
      ...(Object.fromEntries(CONTACT_FIELDS.map((field) => [field, storedText])) as Record<
        ContactField,
        typeof storedText
      >),
    }),
  ),
});

/** The contacts in a data file, or undefined when it does not exist yet (a first run). */
export function loadContactsFile(file: string): Contact[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileError(
      `cannot read the emulator data file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        file,
        cause: error,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FileError(`the emulator data file ${file} is not valid JSON: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  const result = dataFileSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new FileError(
      `the emulator data file ${file} is not {"contacts":[…]}: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`,
      {
        file,
      },
    );
  }
  return result.data.contacts;
}

export function serializeContacts(contacts: readonly Contact[]): string {
  if (contacts.length === 0) return '{"contacts":[]}\n';
  return `{"contacts":[\n${contacts.map((contact) => JSON.stringify(contact)).join(',\n')}\n]}\n`;
}

/** The mode a rewrite keeps: the file's own, or 600 for a new file (it holds people's emails and phones). */
async function modeToKeep(file: string): Promise<number> {
  try {
    return (await stat(file)).mode & 0o777;
  } catch {
    return 0o600;
  }
}

/**
 * Writes `text` to `file` atomically: `file.tmp-<pid>`, then rename over the target. The rename
 * would otherwise give the file the temporary's default mode (644 under the usual umask), so the
 * temporary gets the target's mode first.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const mode = await modeToKeep(file);
    await writeFile(tmp, text, { encoding: 'utf8', mode });
    // writeFile's mode passes through the umask; chmod sets it exactly.
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

function writeError(file: string, error: unknown): FileError {
  return writeFailure(file, error, 'the emulator data file');
}

/** Writes an empty `{"contacts":[]}` where none exists yet; a FileError says why it cannot. */
export async function runCreateDataFile(file: string): Promise<void> {
  try {
    await writeFileAtomic(file, serializeContacts([]));
  } catch (error) {
    throw writeError(file, error);
  }
}

export interface Persister {
  /** Marks the contacts changed; a write follows within the debounce interval. */
  schedule(): void;
  /** Cancels the timer, waits for a write in progress, writes what is left, and stops. Rejects if any write failed. */
  flush(): Promise<void>;
}

/**
 * Debounced atomic persistence. One write at a time; changes made during a write are picked up
 * by the next one. Serialising blocks the event loop (the file write itself does not), so the
 * gap before the next write is at least nine times the last serialisation: persistence takes
 * at most a tenth of the loop, even for a million contacts (~100 MB of JSON).
 */
export function createPersister(file: string, snapshot: () => Contact[], intervalMs = PERSIST_INTERVAL_MS): Persister {
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let dirty = false;
  let stopped = false;
  let lastSerializeMs = 0;
  let failure: unknown;

  const runWrite = async (): Promise<void> => {
    dirty = false;
    const started = performance.now();
    const text = serializeContacts(snapshot());
    lastSerializeMs = performance.now() - started;
    try {
      await writeFileAtomic(file, text);
    } catch (error) {
      // Kept for flush(): the library never prints, and a background write has no caller to tell.
      failure ??= error;
    }
  };

  const arm = (): void => {
    if (timer !== undefined || writing !== undefined || stopped || !dirty) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        writing = runWrite().finally(() => {
          writing = undefined;
          arm();
        });
      },
      Math.max(intervalMs, lastSerializeMs * 9),
    );
  };

  return {
    schedule() {
      dirty = true;
      arm();
    },
    async flush() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await writing;
      if (dirty) await runWrite();
      if (failure !== undefined) throw writeError(file, failure);
    },
  };
}

/**
 * Loads `--data` into the store; a file that breaks email uniqueness is refused, not half-loaded.
 * A file that does not exist yet is written at once, so an unwritable path fails at start
 * rather than silently at the first debounced write.
 */
export async function runLoadDataFile(store: ContactStore, file: string): Promise<void> {
  const contacts = loadContactsFile(file);
  if (contacts === undefined) return runCreateDataFile(file);
  for (const contact of contacts) {
    try {
      store.set(contact);
    } catch (error) {
      throw new FileError(`the emulator data file ${file} breaks email uniqueness: ${(error as Error).message}`, {
        file,
      });
    }
  }
}
