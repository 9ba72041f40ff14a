/**
 * Keyed concurrency, in one place (docs/ARCHITECTURE.md, "One concept, one place"): tasks that
 * share a key run one after another in the order they were added, never at once (README: rows with
 * the same system_id are applied in file order); tasks with different keys run side by side. At
 * most `limit` tasks are unsettled, whether running or waiting for their key, and `add` resolves
 * only when there is room for the next one, so a `for await` loop over a file reads no faster than
 * rows finish and memory stays flat whatever the file's size.
 *
 * A task's rejection never blocks its key: the next task of that key runs as if it had resolved,
 * and `idle()` rejects with the first such error once every task has settled. Callers that turn a
 * failure into a result row (the send executor's internal_error row) catch inside the task.
 */

export interface KeyedWindow {
  /**
   * Starts `task` once every earlier task of `key` has settled. Resolves when fewer than `limit`
   * tasks are unsettled: the caller may add the next one.
   */
  add(key: string, task: () => Promise<unknown>): Promise<void>;
  /** Resolves when every task added so far has settled; rejects with the first task's rejection, if any. */
  idle(): Promise<void>;
  /** Tasks added and not yet settled. */
  readonly size: number;
}

const ROOM: Promise<void> = Promise.resolve();

export function createKeyedWindow(options: { limit: number }): KeyedWindow {
  const limit = Math.max(1, Math.floor(options.limit));
  // The last task of each key with one unsettled: the next task of that key starts after it.
  const tails = new Map<string, Promise<void>>();
  let unsettled = 0;
  const roomWaiters: (() => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  let failure: { error: unknown } | undefined;

  function settled(key: string, tail: Promise<void>): void {
    unsettled--;
    if (tails.get(key) === tail) tails.delete(key);
    if (roomWaiters.length > 0 && unsettled < limit) roomWaiters.shift()?.();
    if (unsettled === 0 && idleWaiters.length > 0) {
      const wake = idleWaiters;
      idleWaiters = [];
      for (const resolve of wake) resolve();
    }
  }

  return {
    get size() {
      return unsettled;
    },
    add(key, task) {
      const previous = tails.get(key);
      // A task that throws before it returns a promise throws out of `add`, which then counts nothing.
      const run = previous === undefined ? task() : previous.then(task);
      unsettled++;
      // One settle step per task (this runs for every row of a file), and the tail never rejects.
      const tail: Promise<void> = run.then(
        () => settled(key, tail),
        (error: unknown) => {
          failure ??= { error };
          settled(key, tail);
        },
      );
      tails.set(key, tail);
      if (unsettled < limit) return ROOM;
      return new Promise<void>((resolve) => roomWaiters.push(resolve));
    },
    async idle() {
      if (unsettled > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      if (failure !== undefined) throw failure.error;
    },
  };
}
