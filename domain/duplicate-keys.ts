/**
 * The keys a file has seen, for DUPLICATE (spec §6, §9.12): the first occurrence of a key claims it, every later
 * one is a duplicate. Two shapes, chosen from the key columns: a (loan, small int) key such as
 * (loan_account_number, installment_number 1..600) is one bitset per loan, millions of installments without
 * millions of composite strings; any other key is a set of strings.
 *
 * Parallel validation (domain/file-validator.ts `SegmentValidator`) gives every slice of a file its own registry;
 * the slices' first occurrences are then merged in file order into one registry, which names the keys an earlier
 * slice had already claimed: those rows are duplicates too.
 */

/** A registry's keys, compact enough to send between threads. */
export type KeySummary = { kind: 'small'; loans: string[]; words: number; bits: Uint32Array } | { kind: 'keys'; keys: string[] };

/** Separates the parts of a composite key (never part of a value that passed its checks). */
export const KEY_SEP = '\u0000';

export class KeyRegistry {
  /** Uint32 words per loan in the small shape; 0 = string keys. */
  readonly words: number;
  private readonly slots = new Map<string, number>();
  private bits: Uint32Array;
  private readonly set = new Set<string>();

  /** `smallMax`: the largest value of the int part of a (loan, small int) key; null for string keys. */
  constructor(smallMax: number | null) {
    this.words = smallMax === null ? 0 : (smallMax >>> 5) + 1;
    this.bits = new Uint32Array(this.words * 1024);
  }

  get small(): boolean {
    return this.words > 0;
  }

  /** Small shape: true when (loan, num) is new (and is now claimed). */
  claimSmall(loan: string, num: number): boolean {
    let slot = this.slots.get(loan);
    if (slot === undefined) slot = this.newSlot(detach(loan));
    const w = slot * this.words + (num >>> 5);
    const bit = 1 << (num & 31);
    if ((this.bits[w] & bit) !== 0) return false;
    this.bits[w] |= bit;
    return true;
  }

  /** String shape: the stored (flat) key when new, null when already claimed. */
  claimKey(key: string): string | null {
    if (this.set.has(key)) return null;
    const flat = detach(key);
    this.set.add(flat);
    return flat;
  }

  /** Claims a key given as its parts joined by KEY_SEP (either shape). */
  claim(key: string): boolean {
    if (!this.small) return this.claimKey(key) !== null;
    const i = key.lastIndexOf(KEY_SEP);
    return this.claimSmall(key.slice(0, i), Number(key.slice(i + 1)));
  }

  summary(): KeySummary {
    if (!this.small) return { kind: 'keys', keys: [...this.set] };
    // Map iteration follows insertion, which is slot order.
    return { kind: 'small', loans: [...this.slots.keys()], words: this.words, bits: this.bits.slice(0, this.slots.size * this.words) };
  }

  /** Adds another registry's keys; returns those this one already held (as KEY_SEP-joined keys). */
  merge(s: KeySummary): string[] {
    const conflicts: string[] = [];
    if (s.kind === 'keys') {
      if (this.small) throw new Error('KeyRegistry.merge: shapes differ');
      for (const k of s.keys) if (this.claimKey(k) === null) conflicts.push(k);
      return conflicts;
    }
    if (s.words !== this.words) throw new Error('KeyRegistry.merge: shapes differ');
    const W = this.words;
    for (let i = 0; i < s.loans.length; i++) {
      const loan = s.loans[i];
      let slot = this.slots.get(loan);
      if (slot === undefined) slot = this.newSlot(loan);
      const base = slot * W;
      for (let w = 0; w < W; w++) {
        const add = s.bits[i * W + w];
        if (add === 0) continue;
        const had = this.bits[base + w];
        let both = had & add;
        while (both !== 0) {
          const b = 31 - Math.clz32(both & -both);
          conflicts.push(loan + KEY_SEP + String(w * 32 + b));
          both &= both - 1;
        }
        this.bits[base + w] = had | add;
      }
    }
    return conflicts;
  }

  private newSlot(loan: string): number {
    const slot = this.slots.size;
    this.slots.set(loan, slot);
    if ((slot + 1) * this.words > this.bits.length) {
      const grown = new Uint32Array(this.bits.length * 2);
      grown.set(this.bits);
      this.bits = grown;
    }
    return slot;
  }
}

/** A flat copy of a short-lived slice, so a long-lived set does not pin the chunk text it was cut from. */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}
