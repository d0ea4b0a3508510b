/**
 * Exact decimal numbers on strings and BigInt (spec loan-files.md §3, §5, §9.8, §9.19). No value ever passes
 * through a binary floating-point number: parsing, comparing, scaling and formatting work on the digit strings.
 *
 * Canonical output forms (both insert unchanged into ClickHouse Decimal(18,2) / Decimal(12,8)):
 * - money: always exactly 2 fractional digits (`toFixed(d, 2)`: `0123.4` → `123.40`, `-0` → `0.00`), §5 "keeps 2 decimals";
 * - percent and everything else: minimal form (`toCanonical`: no leading zeros, no trailing fractional zeros,
 *   `0.18500000` → `0.185`, `1.0` → `1`, `-0` → `0`).
 */

/** A decimal number parsed from text. Immutable by convention. */
export interface Dec {
  /** True only for a value below zero: `-0` and `-0.00` are not negative. */
  readonly neg: boolean;
  /** Integer digits without leading zeros; '' for an integer part of 0. */
  readonly int: string;
  /** Fractional digits exactly as written, trailing zeros kept (their count is the written scale); '' when none. */
  readonly frac: string;
}

const D0 = 48;
const D9 = 57;

/**
 * Parses `^-?[0-9]+([.][0-9]+)?$` (spec §3); with `allowComma` (a `;`-delimited file, §9.4) the separator may also
 * be `,`. Returns null for text that is not a number at all (a TYPE error: `abc`, `1e5`, `+5`, `.5`, `5.`, §9.7).
 * The input must already be trimmed.
 */
export function parseDec(s: string, allowComma = false): Dec | null {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && s.charCodeAt(0) === 45 /* - */) {
    neg = true;
    i = 1;
  }
  const intStart = i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < D0 || c > D9) break;
    i++;
  }
  const intEnd = i;
  if (intEnd === intStart) return null;
  let frac = '';
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 46 /* . */ && !(allowComma && c === 44) /* , */) return null;
    const fracStart = ++i;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (d < D0 || d > D9) return null;
      i++;
    }
    if (i === fracStart) return null;
    frac = s.slice(fracStart);
  }
  let z = intStart;
  while (z < intEnd && s.charCodeAt(z) === D0) z++;
  const int = z === intEnd ? '' : z === 0 && intEnd === n ? s : s.slice(z, intEnd);
  if (neg && int === '' && isZeroDigits(frac)) neg = false;
  return { neg, int, frac };
}

function isZeroDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== D0) return false;
  return true;
}

export function isZero(d: Dec): boolean {
  return d.int === '' && isZeroDigits(d.frac);
}

/** Parses a trusted decimal constant (e.g. a bound from columns.ts); throws if it is not a number. */
export function dec(s: string): Dec {
  const d = parseDec(s);
  if (!d) throw new Error(`not a decimal: ${JSON.stringify(s)}`);
  return d;
}

function compareMagnitude(a: Dec, b: Dec): number {
  if (a.int.length !== b.int.length) return a.int.length < b.int.length ? -1 : 1;
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const af = a.frac;
  const bf = b.frac;
  const n = af.length > bf.length ? af.length : bf.length;
  for (let i = 0; i < n; i++) {
    const x = i < af.length ? af.charCodeAt(i) : D0;
    const y = i < bf.length ? bf.charCodeAt(i) : D0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** -1, 0 or 1 as a < b, a = b, a > b (exact; `-0` equals `0`, `1.50` equals `1.5`). */
export function compareDec(a: Dec, b: Dec): number {
  if (a.neg !== b.neg) return a.neg ? -1 : 1;
  const m = compareMagnitude(a, b);
  return a.neg ? -m : m;
}

/** Fixed-scale text (`toFixed({1,'5'}, 2)` → `1.50`). Never rounds: throws if `d` has more fractional digits than `scale`. */
export function toFixed(d: Dec, scale: number): string {
  if (d.frac.length > scale) throw new RangeError(`toFixed: ${d.frac.length} fractional digits do not fit scale ${scale}`);
  const int = d.int === '' ? '0' : d.int;
  const sign = d.neg ? '-' : '';
  if (scale === 0) return sign + int;
  return sign + int + '.' + (d.frac.length === scale ? d.frac : d.frac.padEnd(scale, '0'));
}

/** Minimal text: no leading zeros, no trailing fractional zeros (`018.500` → `18.5`, `-0` → `0`). */
export function toCanonical(d: Dec): string {
  let e = d.frac.length;
  while (e > 0 && d.frac.charCodeAt(e - 1) === D0) e--;
  const int = d.int === '' ? '0' : d.int;
  const sign = d.neg ? '-' : '';
  return e === 0 ? sign + int : sign + int + '.' + d.frac.slice(0, e);
}

/** d / 10^k, exactly, by moving the decimal point (`divPow10(18.123456, 2)` = `0.18123456`, spec §5, §9.8). */
export function divPow10(d: Dec, k: number): Dec {
  if (k <= 0) return d;
  const digits = d.int.length >= k ? d.int : d.int.padStart(k, '0');
  const cut = digits.length - k;
  // d.int has no leading zeros, so neither has its prefix.
  return { neg: d.neg, int: digits.slice(0, cut), frac: digits.slice(cut) + d.frac };
}

/** The value times 10^scale as a BigInt (exact; throws if it has more fractional digits than `scale`). For sums (§9.19). */
export function toScaledBigInt(d: Dec, scale: number): bigint {
  if (d.frac.length > scale) throw new RangeError(`toScaledBigInt: ${d.frac.length} fractional digits do not fit scale ${scale}`);
  const v = BigInt((d.int === '' ? '0' : d.int) + d.frac.padEnd(scale, '0'));
  return d.neg ? -v : v;
}

/** Inverse of toScaledBigInt, as fixed-scale text (`fromScaledBigInt(12345n, 2)` → `123.45`). */
export function fromScaledBigInt(v: bigint, scale: number): string {
  const neg = v < 0n;
  const s = (neg ? -v : v).toString();
  if (scale === 0) return (neg ? '-' : '') + s;
  const padded = s.padStart(scale + 1, '0');
  return (neg ? '-' : '') + padded.slice(0, padded.length - scale) + '.' + padded.slice(padded.length - scale);
}
