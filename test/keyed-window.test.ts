/**
 * The one keyed-concurrency primitive (src/run/keyed-window.ts) behind the send executor, the 422
 * second chance, the swap look-ups and a sync's deletes: order per key, the bound, rejections,
 * and backpressure for a `for await` loop.
 */
import { describe, expect, it } from 'vitest';
import { createKeyedWindow } from '../src/run/keyed-window.js';

/** A promise settled from outside, so a test decides when each task ends. */
function gate<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise job run. */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createKeyedWindow', () => {
  it('runs tasks of one key in the order added, never at once; other keys run beside them', async () => {
    const keyed = createKeyedWindow({ limit: 10 });
    const log: string[] = [];
    const ends = new Map<string, ReturnType<typeof gate<void>>>();
    const running = new Map<string, number>();
    let maxSameKey = 0;
    const task = (key: string, name: string) => async () => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, running.get(key) ?? 0);
      log.push(`start ${name}`);
      const end = gate();
      ends.set(name, end);
      await end.promise;
      running.set(key, (running.get(key) ?? 0) - 1);
      log.push(`end ${name}`);
    };
    await keyed.add('A', task('A', 'a1'));
    await keyed.add('B', task('B', 'b1'));
    await keyed.add('A', task('A', 'a2'));
    await keyed.add('A', task('A', 'a3'));
    await drain();
    // a1 and b1 run side by side; a2 waits for a1.
    expect(log).toEqual(['start a1', 'start b1']);
    ends.get('b1')?.resolve();
    await drain();
    expect(log).toEqual(['start a1', 'start b1', 'end b1']);
    ends.get('a1')?.resolve();
    await drain();
    expect(log.slice(3)).toEqual(['end a1', 'start a2']);
    ends.get('a2')?.resolve();
    await drain();
    ends.get('a3')?.resolve();
    await keyed.idle();
    expect(log.filter((l) => l.includes(' a'))).toEqual([
      'start a1',
      'end a1',
      'start a2',
      'end a2',
      'start a3',
      'end a3',
    ]);
    expect(maxSameKey).toBe(1);
    expect(keyed.size).toBe(0);
  });

  it('holds at most `limit` unsettled tasks: add resolves only when there is room', async () => {
    const keyed = createKeyedWindow({ limit: 2 });
    const ends = [gate(), gate(), gate()];
    expect(keyed.size).toBe(0);
    const track = (promise: Promise<void>) => {
      const state = { done: false };
      promise.then(
        () => (state.done = true),
        () => undefined,
      );
      return state;
    };
    const first = track(keyed.add('x', () => ends[0]!.promise));
    const secondRoom = keyed.add('y', () => ends[1]!.promise);
    const second = track(secondRoom);
    await drain();
    expect(first.done).toBe(true);
    // Two unsettled: the caller must wait before adding a third.
    expect(keyed.size).toBe(2);
    expect(second.done).toBe(false);
    ends[1]!.resolve();
    await secondRoom;
    expect(keyed.size).toBe(1);
    const third = track(keyed.add('z', () => ends[2]!.promise));
    await drain();
    expect(third.done).toBe(false);
    const idle = track(keyed.idle());
    ends[0]!.resolve();
    await drain();
    expect(third.done).toBe(true);
    expect(idle.done).toBe(false);
    ends[2]!.resolve();
    await drain();
    expect(idle.done).toBe(true);
  });

  it('a rejected task never blocks its key; idle() rejects with the first error once all have settled', async () => {
    const keyed = createKeyedWindow({ limit: 4 });
    const ran: string[] = [];
    await keyed.add('A', () => Promise.reject(new Error('first')));
    await keyed.add('A', () => {
      ran.push('a2');
      return Promise.resolve();
    });
    await keyed.add('B', () => Promise.reject(new Error('second')));
    const later = gate();
    await keyed.add('A', async () => {
      await later.promise;
      ran.push('a3');
    });
    let settled = false;
    const idle = keyed.idle().finally(() => (settled = true));
    await drain();
    expect(ran).toEqual(['a2']);
    expect(settled).toBe(false);
    later.resolve();
    await expect(idle).rejects.toThrow('first');
    expect(ran).toEqual(['a2', 'a3']);
    expect(keyed.size).toBe(0);
  });

  it('a task that throws before returning a promise throws out of add and counts nothing', () => {
    const keyed = createKeyedWindow({ limit: 1 });
    expect(() =>
      keyed.add('A', () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    expect(keyed.size).toBe(0);
  });

  it('paces a for-await loop: it reads at most `limit` items ahead of the tasks that finished', async () => {
    const keyed = createKeyedWindow({ limit: 4 });
    let read = 0;
    let finished = 0;
    let maxAhead = 0;
    async function* items() {
      for (let i = 0; i < 200; i++) {
        await Promise.resolve();
        read++;
        maxAhead = Math.max(maxAhead, read - finished);
        yield i;
      }
    }
    const order = new Map<string, number[]>();
    for await (const i of items()) {
      const key = `k${i % 7}`;
      await keyed.add(key, async () => {
        // Uneven durations, so tasks finish out of order across keys.
        await new Promise((resolve) => setTimeout(resolve, (i * 37) % 5));
        order.set(key, [...(order.get(key) ?? []), i]);
        finished++;
      });
    }
    await keyed.idle();
    expect(finished).toBe(200);
    expect(maxAhead).toBeLessThanOrEqual(4);
    for (const [key, seen] of order) {
      expect(seen, key).toEqual([...seen].sort((a, b) => a - b));
    }
  });
});
