/**
 * The compact key structures (domain/key-table.ts, domain/duplicate-keys.ts) answer exactly as a JavaScript
 * Set would: random keys (ASCII and not, of every length, with repeats), random claim orders, and the merge of
 * registries in any order names exactly the keys already held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTable, SharedKeySetView, buildSharedKeySet } from '../../domain/key-table.ts';
import { KEY_SEP, KeyRegistry } from '../../domain/duplicate-keys.ts';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = ['A', 'B', 'Z', '0', '9', '-', '_', 'é', 'İ', '😀', ' '];
function randomKey(r: () => number): string {
  const n = Math.floor(r() * 14);
  let k = '';
  for (let i = 0; i < n; i++) k += r() < 0.9 ? ALPHABET[Math.floor(r() * 7)] : ALPHABET[7 + Math.floor(r() * 4)];
  return k;
}

test('KeyTable: get and add agree with a Map over 20k random keys (non-ASCII and empty keys included), slots in insertion order', () => {
  const r = rng(7);
  const t = new KeyTable();
  const truth = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const k = randomKey(r);
    const want = truth.get(k) ?? -1;
    assert.equal(t.get(k), want, `get ${JSON.stringify(k)}`);
    if (want < 0) {
      assert.equal(t.add(k), truth.size);
      truth.set(k, truth.size);
    }
  }
  assert.equal(t.size, truth.size);
  for (const [k, slot] of truth) {
    assert.equal(t.get(k), slot);
    assert.equal(t.keyOf(slot), k);
  }
  assert.equal(t.get('NOT-THERE-AT-ALL'), -1);
});

test('shared key set: membership equals a Set built from the same lines, repeats and non-ASCII keys included', () => {
  const r = rng(11);
  const keys = Array.from({ length: 5000 }, () => randomKey(r));
  const truth = new Set(keys);
  const view = new SharedKeySetView(buildSharedKeySet(keys.map((k) => k + '\n').join('')));
  for (let i = 0; i < 20_000; i++) {
    const k = i % 2 ? keys[Math.floor(r() * keys.length)] : randomKey(r);
    assert.equal(view.has(k), truth.has(k), JSON.stringify(k));
  }
  const empty = new SharedKeySetView(buildSharedKeySet(''));
  assert.equal(empty.has(''), false);
  assert.equal(empty.has('LN-1'), false);
});

test('shared key set: its buffers are shared memory, so threads read one copy', () => {
  const s = buildSharedKeySet('LN-1\nLN-2\n');
  for (const a of [s.bytes, s.starts, s.index]) assert.ok(a.buffer instanceof SharedArrayBuffer);
});

test('key registry (loan, number): claims agree with a Set of composite keys for ordered, shuffled and repeated numbers', () => {
  const r = rng(3);
  const reg = new KeyRegistry(600);
  const truth = new Set<string>();
  const loans = Array.from({ length: 40 }, (_, i) => (i % 9 === 0 ? `LNé${i}` : `LN-${i}`));
  const claims = new Map<string, number>();
  for (let i = 0; i < 30_000; i++) {
    const loan = loans[Math.floor(r() * loans.length)];
    // Mostly the next number of the loan (as files list installments), sometimes any number 0..600.
    const next = (claims.get(loan) ?? 0) + 1;
    const num = r() < 0.7 ? Math.min(600, next) : Math.floor(r() * 601);
    const key = loan + KEY_SEP + num;
    assert.equal(reg.claimSmall(loan, num), !truth.has(key), key);
    if (!truth.has(key)) claims.set(loan, next);
    truth.add(key);
  }
  // The summary holds exactly the claimed keys.
  const s = reg.summary();
  assert.equal(s.kind, 'small');
  const fromSummary = new Set<string>();
  if (s.kind === 'small') {
    s.loans.forEach((loan, i) => {
      for (let num = 0; num < s.words * 32; num++) if (s.bits[i * s.words + (num >>> 5)] & (1 << (num & 31))) fromSummary.add(loan + KEY_SEP + num);
    });
  }
  assert.deepEqual([...fromSummary].sort(), [...truth].sort());
});

test('key registry (loan, number): 3,000 loans (past every initial capacity), each loan’s numbers shuffled, then all repeated: exact, and the summary holds every key', () => {
  const r = rng(9);
  const reg = new KeyRegistry(600);
  const truth = new Set<string>();
  const claims: [string, number][] = [];
  for (let l = 0; l < 3000; l++) {
    const nums = Array.from({ length: 1 + Math.floor(r() * 40) }, (_, i) => i + 1);
    for (let i = nums.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [nums[i], nums[j]] = [nums[j], nums[i]];
    }
    for (const n of nums) claims.push([`LN-${l}`, n]);
  }
  for (const [loan, n] of claims) {
    assert.equal(reg.claimSmall(loan, n), true, `${loan} ${n} is new`);
    truth.add(loan + KEY_SEP + n);
  }
  for (const [loan, n] of claims) assert.equal(reg.claimSmall(loan, n), false, `${loan} ${n} repeats`);
  assert.equal(reg.claimSmall('LN-0', 600), true, 'a number past a loan’s run is new');
  truth.add(`LN-0${KEY_SEP}600`);
  const s = reg.summary();
  const got = new Set<string>();
  if (s.kind === 'small') {
    s.loans.forEach((loan, i) => {
      for (let num = 0; num < s.words * 32; num++) if (s.bits[i * s.words + (num >>> 5)] & (1 << (num & 31))) got.add(loan + KEY_SEP + num);
    });
  }
  assert.equal(got.size, truth.size);
  for (const k of truth) assert.ok(got.has(k), k);
});

test('key registry: merging slices in file order names exactly the keys an earlier slice claimed', () => {
  const r = rng(5);
  for (const small of [true, false]) {
    const slices = Array.from({ length: 6 }, () => new KeyRegistry(small ? 600 : null));
    const claimed: string[][] = slices.map(() => []);
    slices.forEach((reg, s) => {
      for (let i = 0; i < 800; i++) {
        const loan = `L${Math.floor(r() * 50)}`;
        const key = small ? loan + KEY_SEP + (1 + Math.floor(r() * 30)) : loan + (r() < 0.5 ? '' : 'é');
        if (reg.claim(key)) claimed[s].push(key);
      }
    });
    const file = new KeyRegistry(small ? 600 : null);
    const seen = new Set<string>();
    slices.forEach((reg, s) => {
      const want = claimed[s].filter((k) => seen.has(k)).sort();
      assert.deepEqual(file.merge(reg.summary()).sort(), want, `slice ${s} (${small ? 'small' : 'string'} keys)`);
      for (const k of claimed[s]) seen.add(k);
    });
  }
});
