/**
 * A sync's state file (`--state`, default `<input stem>.sync-state.json` beside the input): the
 * portal it belongs to and the system_ids that syncs with this file created or updated, which
 * `--scope owned` may delete (README, "Keeping CIOPulse in sync with your helpdesk"). It is
 * written whole to a temporary file at mode 600 and renamed, so a crash leaves the old state or
 * the new one, never half of either. A contact no sync wrote never enters it.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { temporaryPathFor } from '../csv/write.js';
import { ConfigError, FileError } from '../errors.js';
import { HINTS, SYNC_ERRORS } from '../error-messages.js';
import { inputStem } from '../run/paths.js';
import { lastAnswers } from '../run/journal.js';

export interface SyncState {
  baseUrl: string;
  portalCode: string;
  owned: Set<string>;
  /**
   * Creates about to be sent, recorded before the first of them: a crash can lose a create's answer
   * before the journal has it. The next sync owns each one that exists by then; none existed when
   * the earlier sync read GET all, so that sync wrote it.
   */
  pending: Set<string>;
}

interface StateFile {
  version: 1;
  baseUrl: string;
  portalCode: string;
  owned: string[];
  pending?: string[];
}

export function resolveStatePath(input: string, explicit?: string): string {
  return explicit ?? `${inputStem(input)}.sync-state.json`;
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** The state for this portal: empty when the file does not exist yet; another portal's is refused. */
export function readSyncState(path: string, portal: { baseUrl: string; portalCode: string }): SyncState {
  if (!existsSync(path)) return { ...portal, owned: new Set(), pending: new Set() };
  let data: StateFile;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
  } catch (error) {
    throw new FileError(SYNC_ERRORS.stateUnreadable(path, error instanceof Error ? error.message : String(error)), {
      file: path,
      hint: HINTS.restoreSyncState(),
    });
  }
  if (data.version !== 1 || !Array.isArray(data.owned) || typeof data.portalCode !== 'string')
    throw new FileError(SYNC_ERRORS.notAState(path), { file: path });
  if (data.portalCode !== portal.portalCode || !sameUrl(data.baseUrl, portal.baseUrl))
    throw new ConfigError(
      SYNC_ERRORS.stateOfAnotherPortal(
        path,
        SYNC_ERRORS.portal(data.portalCode, data.baseUrl),
        SYNC_ERRORS.portal(portal.portalCode, portal.baseUrl),
      ),
      { hint: HINTS.syncStatePerPortal() },
    );
  return {
    baseUrl: data.baseUrl,
    portalCode: data.portalCode,
    owned: new Set(data.owned),
    pending: new Set(data.pending ?? []),
  };
}

/** Atomic, at mode 600: a temporary file beside it, synced, then renamed over it. */
export function writeSyncState(path: string, state: SyncState): void {
  const data: StateFile = {
    version: 1,
    baseUrl: state.baseUrl,
    portalCode: state.portalCode,
    owned: [...state.owned].sort(),
    pending: [...state.pending].sort(),
  };
  const temporary = temporaryPathFor(path);
  try {
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(data)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new FileError(SYNC_ERRORS.stateUnwritable(path, error instanceof Error ? error.message : String(error)), {
      file: path,
    });
  }
}

/**
 * The state against a fresh GET all: pending creates that exist now are owned; owned contacts that
 * are gone (deleted by a sync whose answer was lost, or by someone else) are owned no more.
 */
export function settleState(state: SyncState, exists: (systemId: string) => boolean): void {
  for (const id of state.pending) if (exists(id)) state.owned.add(id);
  state.pending.clear();
  for (const id of state.owned) if (!exists(id)) state.owned.delete(id);
}

/**
 * What an unfinished sync's journal says was written: applied creates and updates become owned,
 * deletes stop being owned. A write whose answer never reached the journal stays unowned, so a
 * crash can only make a sync delete less, never more.
 */
export async function adoptJournal(state: SyncState, journalPath: string): Promise<number> {
  let adopted = 0;
  for (const entry of (await lastAnswers(journalPath)).values()) {
    if (entry.status === 'created' || entry.status === 'updated') {
      state.owned.add(entry.system_id);
      adopted++;
    } else if (entry.status === 'deleted') {
      state.owned.delete(entry.system_id);
      adopted++;
    }
  }
  return adopted;
}
