/**
 * The keys a file has seen, for DUPLICATE (spec §6, §9.12): the first occurrence of a key claims it, every later
 * one is a duplicate. Two shapes, chosen from the key columns: a (loan, small int) key such as
 * (loan_account_number, installment_number 1..600) is a run length per loan (a bitset only for numbers claimed
 * out of order), millions of installments without millions of composite strings; any other key is a set of
 * strings. Loans and keys are held in a compact table (domain/key-table.ts): the registry of a 1 M-loan file is
 * ≈ 30 MB instead of ≈ 160 MB in a Map and a bitset per loan.
 *
 * Parallel validation (domain/file-validator.ts `SegmentValidator`) gives every slice of a file its own registry;
 * the slices' first occurrences are then merged in file order into one registry, which names the keys an earlier
 * slice had already claimed: those rows are duplicates too.
 */
import { KeyTable } from './key-table.ts';

/** A registry's keys, compact enough to send between threads. */
export type KeySummary = { kind: 'small'; loans: string[]; words: number; bits: Uint32Array } | { kind: 'keys'; keys: string[] };

/** Separates the parts of a composite key (never part of a value that passed its checks). */
export const KEY_SEP = '\u0000';

export class KeyRegistry {
  /** Uint32 words per loan in the small shape; 0 = string keys. */
  readonly words: number;
  /** Loans (small shape) or whole keys (string shape), numbered in first-claim order. */
  private readonly table = new KeyTable();
  /**
   * Small shape: per loan, the length p of the run 1..p of claimed numbers; claims in order (installments 1, 2, …,
   * as files list them) only move it. A number claimed out of that run goes to the loan's bitset, a block of one
   * shared pool taken on first need and given back once the run has absorbed it: ≈ 8 bytes per loan for ordered
   * files, and no more than a bitset per loan when every loan's numbers come out of order.
   */
  private run = new Uint32Array(1024);
  /** Per loan: its block of `words` in `pool` for numbers claimed out of order, or -1. */
  private block = new Int32Array(1024).fill(-1);
  private pool = new Uint32Array(0);
  private readonly freeBlocks: number[] = [];
  private blocks = 0;

  /** `smallMax`: the largest value of the int part of a (loan, small int) key; null for string keys. */
  constructor(smallMax: number | null) {
    this.words = smallMax === null ? 0 : (smallMax >>> 5) + 1;
  }

  get small(): boolean {
    return this.words > 0;
  }

  /** Small shape: true when (loan, num) is new (and is now claimed). */
  claimSmall(loan: string, num: number): boolean {
    return this.claimAt(this.slotOf(loan), num);
  }

  /** Small shape: the loan's slot (taken on first sight) for claimSlot; slots never change. */
  slotFor(loan: string): number {
    return this.slotOf(loan);
  }

  /** Small shape: claimSmall with the loan's slot. */
  claimSlot(slot: number, num: number): boolean {
    return this.claimAt(slot, num);
  }

  /** String shape: the key when new, null when already claimed. */
  claimKey(key: string): string | null {
    if (this.table.get(key) >= 0) return null;
    this.table.add(key);
    return key;
  }

  /** Claims a key given as its parts joined by KEY_SEP (either shape). */
  claim(key: string): boolean {
    if (!this.small) return this.claimKey(key) !== null;
    const i = key.lastIndexOf(KEY_SEP);
    return this.claimSmall(key.slice(0, i), Number(key.slice(i + 1)));
  }

  summary(): KeySummary {
    const n = this.table.size;
    const loans: string[] = new Array(n);
    for (let k = 0; k < n; k++) loans[k] = this.table.keyOf(k);
    if (!this.small) return { kind: 'keys', keys: loans };
    const W = this.words;
    const bits = new Uint32Array(n * W);
    for (let k = 0; k < n; k++) {
      const p = this.run[k];
      for (let num = 1; num <= p; num++) bits[k * W + (num >>> 5)] |= 1 << (num & 31);
      const b = this.block[k];
      if (b >= 0) for (let w = 0; w < W; w++) bits[k * W + w] |= this.pool[b * W + w];
    }
    return { kind: 'small', loans, words: W, bits };
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
      const slot = this.slotOf(loan);
      for (let w = 0; w < W; w++) {
        // Ascending numbers, so a loan's ordered run stays a run.
        for (let add = s.bits[i * W + w]; add !== 0; add &= add - 1) {
          const num = w * 32 + (31 - Math.clz32(add & -add));
          if (!this.claimAt(slot, num)) conflicts.push(loan + KEY_SEP + String(num));
        }
      }
    }
    return conflicts;
  }

  private slotOf(loan: string): number {
    const slot = this.table.get(loan);
    if (slot >= 0) return slot;
    const added = this.table.add(loan);
    if (added >= this.run.length) {
      const run = new Uint32Array(this.run.length * 2);
      run.set(this.run);
      this.run = run;
      const block = new Int32Array(this.block.length * 2).fill(-1);
      block.set(this.block);
      this.block = block;
    }
    return added;
  }

  private claimAt(slot: number, num: number): boolean {
    const p = this.run[slot];
    if (num >= 1 && num <= p) return false;
    const W = this.words;
    const b = this.block[slot];
    const base = b * W;
    const w = num >>> 5;
    const bit = 1 << (num & 31);
    if (b >= 0 && (this.pool[base + w] & bit) !== 0) return false;
    if (num === p + 1) {
      let q = num;
      if (b >= 0) {
        // Numbers claimed earlier out of order that now continue the run join it.
        const pool = this.pool;
        for (let next = q + 1; next < W * 32 && (pool[base + (next >>> 5)] & (1 << (next & 31))) !== 0; next++) {
          pool[base + (next >>> 5)] &= ~(1 << (next & 31));
          q = next;
        }
        let empty = true;
        for (let i = 0; i < W; i++) if (pool[base + i] !== 0) empty = false;
        if (empty) {
          this.freeBlocks.push(b);
          this.block[slot] = -1;
        }
      }
      this.run[slot] = q;
      return true;
    }
    if (w >= W) return true; // beyond the key's bounds (never for a value that passed its range check)
    const nb = b >= 0 ? b : this.takeBlock(slot);
    this.pool[nb * W + w] |= bit;
    return true;
  }

  private takeBlock(slot: number): number {
    let b = this.freeBlocks.pop();
    if (b === undefined) {
      b = this.blocks++;
      if (this.blocks * this.words > this.pool.length) {
        const pool = new Uint32Array(Math.max(this.words * 64, this.pool.length * 2));
        pool.set(this.pool);
        this.pool = pool;
      }
    }
    this.block[slot] = b;
    return b;
  }
}
