/**
 * Compact exact sets of short ASCII keys (loan account numbers), for the sets a sync holds per loan: the
 * CROSS_REFERENCE list of valid loans and the keys DUPLICATE detection has seen. A JavaScript Set or Map of a
 * million strings costs ≈ 80 bytes per key and grows with the file; these store the key bytes once in an arena
 * with an open-addressing index: ≈ 25 bytes per key of 13 characters.
 *
 * Keys are compared byte for byte with the string's UTF-16 code units, so only ASCII keys are stored in the
 * arena; a key with another character (never a loan number that passed its pattern, but the structures do not
 * rely on that) goes to a plain Map beside it, and membership stays exact.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;
const NON_ASCII = /[^\x00-\x7f]/;

/** FNV-1a of an ASCII string's code units (equal to hashBytes of its bytes), or -1 when it is not ASCII. */
function hashAscii(s: string): number {
  let h = FNV_OFFSET;
  let any = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    any |= c;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return any > 0x7f ? -1 : h >>> 0;
}

function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return h >>> 0;
}

function sameKey(b: Uint8Array, from: number, to: number, s: string): boolean {
  if (to - from !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[from + i] !== s.charCodeAt(i)) return false;
  return true;
}

const capacityFor = (n: number) => {
  let c = 16;
  while (c < n * 2) c *= 2;
  return c;
};

/**
 * A growable key → slot table (slots numbered 0, 1, … in insertion order), single-threaded: the registry of
 * DUPLICATE detection.
 */
export class KeyTable {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  /** Key k spans arena[starts[k] .. starts[k + 1]). */
  private starts = new Uint32Array(1025);
  private count = 0;
  /** slot + 1 per index entry, 0 = empty. */
  private index = new Int32Array(capacityFor(1024));
  private readonly other = new Map<string, number>();
  private readonly otherKeys = new Map<number, string>();

  get size(): number {
    return this.count;
  }

  /** The key's slot, or -1. */
  get(key: string): number {
    const h = hashAscii(key);
    if (h < 0) return this.other.get(key) ?? -1;
    const mask = this.index.length - 1;
    // Only arena keys are in the index.
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.index[i];
      if (e === 0) return -1;
      if (sameKey(this.arena, this.starts[e - 1], this.starts[e], key)) return e - 1;
    }
  }

  /** Adds a key that is not in the table (check with `get` first); returns its slot. */
  add(key: string): number {
    const slot = this.count;
    if (this.starts.length < slot + 2) this.starts = grow(this.starts, this.starts.length * 2);
    const h = hashAscii(key);
    if (h < 0) {
      // A placeholder of zero bytes keeps the slot numbering shared with the arena's keys.
      this.other.set(key, slot);
      this.otherKeys.set(slot, key);
      this.starts[slot + 1] = this.used;
      this.count++;
      return slot;
    }
    if (this.arena.length < this.used + key.length) this.arena = grow(this.arena, Math.max(this.arena.length * 2, this.used + key.length));
    for (let i = 0; i < key.length; i++) this.arena[this.used + i] = key.charCodeAt(i);
    this.used += key.length;
    this.starts[slot + 1] = this.used;
    this.count++;
    if (this.count * 2 > this.index.length) this.rehash(this.index.length * 2);
    else this.place(slot, h);
    return slot;
  }

  /** The key of a slot. */
  keyOf(slot: number): string {
    return this.otherKeys.get(slot) ?? String.fromCharCode(...this.arena.subarray(this.starts[slot], this.starts[slot + 1]));
  }

  private place(slot: number, hash: number): void {
    const mask = this.index.length - 1;
    let i = hash & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = slot + 1;
  }

  private rehash(capacity: number): void {
    this.index = new Int32Array(capacity);
    for (let k = 0; k < this.count; k++) {
      if (!this.otherKeys.has(k)) this.place(k, hashBytes(this.arena, this.starts[k], this.starts[k + 1]));
    }
  }
}

function grow<T extends Uint8Array | Uint32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

/**
 * A read-only key set over SharedArrayBuffers: built once by the validate activity from the reference list and
 * read by every validation thread without a copy (structured clone shares the buffers).
 */
export interface SharedKeySet {
  bytes: Uint8Array;
  /** Key k spans bytes[starts[k] .. starts[k + 1] - 1) (the newline that ends it excluded). */
  starts: Uint32Array;
  index: Int32Array;
  /** Keys with a non-ASCII character, which the arena does not hold. */
  other: string[];
}

/** Builds a SharedKeySet from newline-terminated keys (a TabSeparated one-column result). */
export function buildSharedKeySet(lines: string): SharedKeySet {
  const other: string[] = [];
  let ascii = lines;
  if (NON_ASCII.test(lines)) {
    const keep: string[] = [];
    for (const k of splitLines(lines)) (NON_ASCII.test(k) ? other : keep).push(k);
    ascii = keep.map((k) => k + '\n').join('');
  }
  const bytes = new Uint8Array(new SharedArrayBuffer(ascii.length));
  Buffer.from(bytes.buffer, 0, ascii.length).write(ascii, 'latin1');
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) n++;
  const starts = new Uint32Array(new SharedArrayBuffer(4 * (n + 1)));
  for (let i = 0, k = 1; i < bytes.length; i++) if (bytes[i] === 10) starts[k++] = i + 1;
  const index = new Int32Array(new SharedArrayBuffer(4 * capacityFor(n)));
  const mask = index.length - 1;
  // A key listed twice takes two entries: membership is the same, and the index has room for every line.
  for (let k = 0; k < n; k++) {
    let i = hashBytes(bytes, starts[k], starts[k + 1] - 1) & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = k + 1;
  }
  return { bytes, starts, index, other };
}

/** Membership in a SharedKeySet. */
export class SharedKeySetView {
  private readonly bytes: Uint8Array;
  private readonly starts: Uint32Array;
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly other: Set<string>;

  constructor(s: SharedKeySet) {
    this.bytes = s.bytes;
    this.starts = s.starts;
    this.index = s.index;
    this.mask = s.index.length - 1;
    this.other = new Set(s.other);
  }

  has(key: string): boolean {
    const h = hashAscii(key);
    if (h < 0) return this.other.has(key);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.index[i];
      if (e === 0) return false;
      if (sameKey(this.bytes, this.starts[e - 1], this.starts[e] - 1, key)) return true;
    }
  }
}

function splitLines(lines: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = lines.indexOf('\n'); i !== -1; i = lines.indexOf('\n', start)) {
    out.push(lines.slice(start, i));
    start = i + 1;
  }
  return out;
}
