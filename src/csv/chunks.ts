/**
 * The bytes a byte-level scan could not finish at the end of one chunk (a quote whose meaning
 * depends on the next byte, a UTF-8 sequence cut in two), put in front of the next chunk.
 * Offsets count from the first byte fed.
 */
export class ChunkCarry {
  private carry: Buffer | undefined;
  /** How many bytes were fed so far. */
  offset = 0;
  /** The offset of the first byte of the buffer `join` or `takeRest` last returned. */
  base = 0;

  /** The chunk with the carried bytes in front. */
  join(chunk: Buffer): Buffer {
    const { carry } = this;
    this.base = this.offset;
    this.offset += chunk.length;
    if (carry === undefined) return chunk;
    this.base -= carry.length;
    this.carry = undefined;
    return Buffer.concat([carry, chunk]);
  }

  /** Holds these bytes for the next chunk. Copied: the caller may reuse its buffer. */
  keep(bytes: Buffer): void {
    this.carry = Buffer.from(bytes);
  }

  /** At the end of the file: the carried bytes (no longer carried), or undefined. */
  takeRest(): Buffer | undefined {
    const { carry } = this;
    if (carry === undefined) return undefined;
    this.carry = undefined;
    this.base = this.offset - carry.length;
    return carry;
  }

  /** The offset of the first carried byte, or -1 when nothing is carried. */
  carriedAt(): number {
    return this.carry === undefined ? -1 : this.offset - this.carry.length;
  }
}
