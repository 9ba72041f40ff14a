/**
 * The request log: every /api/v5 request in arrival order, bounded to the last `limit`. It is a
 * ring of typed columns rather than an array of objects because a benchmark sends requests as
 * fast as a raw undici loop can (BENCHMARKS.md, section 3), and an object per request that lives
 * on for the log's sake would be promoted out of the young generation and make every garbage
 * collection slower.
 */

export interface RequestLogEntry {
  /** Arrival time, epoch ms with sub-ms precision (performance.timeOrigin + performance.now()). */
  t: number;
  method: string;
  /** Decoded; the raw segment when its percent-encoding is malformed; null for GET all and unknown routes. */
  systemId: string | null;
  /** How many times this (method, system_id) arrived before: 0 for the first. */
  attempt: number;
  /** The status sent; `reset`/`lost` for injected socket faults; 0 while unanswered or when the client left first. */
  status: number | 'reset' | 'lost';
}

export interface RequestLog {
  /** Appends an entry with status 0 and returns its sequence number, for `answer`. */
  record(method: string, systemId: string | null, attempt: number): number;
  /** Sets the status of entry `seq`, unless it has been overwritten or cleared since. */
  answer(seq: number, status: RequestLogEntry['status']): void;
  entries(): RequestLogEntry[];
  clear(): void;
}

const RESET = -1;
const LOST = -2;

function encodeStatus(status: RequestLogEntry['status']): number {
  return status === 'reset' ? RESET : status === 'lost' ? LOST : status;
}

function decodeStatus(code: number): RequestLogEntry['status'] {
  return code === RESET ? 'reset' : code === LOST ? 'lost' : code;
}

export function createRequestLog(limit: number): RequestLog {
  const times = new Float64Array(limit);
  const attempts = new Uint32Array(limit);
  const statuses = new Int16Array(limit);
  const methods: string[] = new Array<string>(limit).fill('');
  const systemIds: (string | null)[] = new Array<string | null>(limit).fill(null);
  /** Sequence numbers only grow; `first` is the oldest one still visible. */
  let next = 0;
  let first = 0;

  const visible = (seq: number): boolean => seq >= first && seq >= next - limit && seq < next;

  return {
    record(method, systemId, attempt) {
      const slot = next % limit;
      times[slot] = performance.timeOrigin + performance.now();
      methods[slot] = method;
      systemIds[slot] = systemId;
      attempts[slot] = attempt;
      statuses[slot] = 0;
      return next++;
    },
    answer(seq, status) {
      if (visible(seq)) statuses[seq % limit] = encodeStatus(status);
    },
    entries() {
      const out: RequestLogEntry[] = [];
      for (let seq = Math.max(first, next - limit); seq < next; seq++) {
        const slot = seq % limit;
        out.push({
          t: times[slot] as number,
          method: methods[slot] as string,
          systemId: systemIds[slot] ?? null,
          attempt: attempts[slot] as number,
          status: decodeStatus(statuses[slot] as number),
        });
      }
      return out;
    },
    clear() {
      first = next;
      systemIds.fill(null); // let the old ids be collected
    },
  };
}
