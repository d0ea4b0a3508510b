/**
 * Streaming, push-based CSV reader for loan files (spec loan-files.md §2, §7, §9.3, §9.5, §9.6).
 *
 * Bytes go in with push() in chunks split anywhere (inside a UTF-8 sequence, a CRLF, a quoted value); the header
 * and every data row come out through the handlers, in file order, the moment their line break is read. Results do
 * not depend on how the body was chunked.
 *
 * Choices where the spec leaves room (each one is the literal reading of the cited section):
 * - Line breaks are LF and CRLF (§2). A lone CR is an ordinary character: it ends no line, is kept in raw fields,
 *   is removed by trimming (it is JS white space), and after a closing quote it is text (§9.6), unless an LF follows.
 * - A value is quoted only when its very first character is `"` (§9.6): ` "x"` (space first) is an unquoted value
 *   holding a literal quote, so its row is malformed. Text after a closing quote is kept in the raw field (the row
 *   is malformed anyway); in the header it simply becomes part of the name.
 * - Blank lines (§9.5) are judged on the physical line at the start of a record; a line continued inside a quoted
 *   value is never blank. Before the header the delimiter is not known yet: a white-space line holding a TAB would
 *   make the file TAB-delimited (TAB is then its only candidate, §9.3) and such a line is never blank, so it is the
 *   header. Other white-space-only lines before the header are skipped.
 * - Delimiter detection (§9.3) counts candidates on the first non-blank line, outside quotes as §9.6 defines them:
 *   a `"` opens a quoted value only as a field's first character (the delimiter is not known yet, so a field
 *   starts at the line's start and after any candidate), `""` inside it is a quote, and an LF inside it does not
 *   end the line; any other `"` is literal. The header is then parsed with the ordinary rules; malformed quoting
 *   in the header has no error of its own (names are taken as read).
 * - "First failure in file order" (§7): the text before an ill-formed byte is parsed (so a complete header is bound,
 *   and may be rejected, before INVALID_ENCODING is thrown); a header is judged only once its line has ended, so a
 *   bad byte inside the header line wins over MISSING/DUPLICATE_COLUMNS. At the end: INVALID_ENCODING for a
 *   truncated sequence, then MALFORMED_CSV, then EMPTY_FILE.
 * - Memory bounds (never reached by a sane file): a field longer than `maxFieldChars` is truncated and a record with
 *   more than `maxFields` fields loses the excess; either marks the row malformed (for a data row the result is the
 *   same `_row` FORMAT error a ragged row gets). A header line longer than `maxFieldChars` stops buffering: the
 *   delimiter is chosen from what was read. So a stray quote or a body without line breaks cannot make the reader
 *   hold a multi-GB string or array.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { FileLevelError } from './file-errors.ts';

export interface CsvRow {
  /** 1-based data row number (the header is row 0); blank lines are not counted. */
  row: number;
  /** Raw values: untrimmed, quotes removed and `""` unescaped. */
  fields: string[];
  /** Malformed quoting (§9.6): the validator reports one FORMAT error on `_row`. */
  rowError: boolean;
}

export interface CsvHandlers {
  /** Names trimmed (§9.5), spelled as sent; `delimiter` as detected (§9.3). */
  onHeader(names: string[], delimiter: string): void;
  onRow(row: CsvRow): void;
  /**
   * Optional fast path: a data line without quotes whose first character is neither white space nor a quote, as
   * s[start, end) (no line break, CR of a CRLF removed). Returning true takes it as data row `row` (counted, no
   * onRow); false lets the parser split it and call onRow as usual.
   */
  onPlainLine?(s: string, start: number, end: number, row: number): boolean;
}

/** States of the header line's scan for delimiter candidates (CsvParser.preHeader). */
const PRE_FIELD_START = 0;
const PRE_IN_FIELD = 1;
const PRE_QUOTED = 2;
const PRE_QUOTE_IN_QUOTED = 3;

/** Delimiter candidates in tie-break order (§9.3). */
export const DELIMITERS: readonly string[] = [',', ';', '|', '\t'];

/** Longest field kept in memory (UTF-16 code units), see the module comment. */
export const MAX_FIELD_CHARS = 1 << 24;
/** Most fields kept per record, see the module comment. */
export const MAX_FIELDS = 1 << 16;

export interface CsvParserOptions {
  maxFieldChars?: number;
  maxFields?: number;
  /**
   * Parse a slice of a file that starts at a record boundary after the header (parallel validation): the
   * delimiter is known and no header is read, rows are numbered after `rowOffset` (the data rows before the
   * slice), `byteOffset` (where the slice starts in the file) places INVALID_ENCODING, and `end()` does not judge
   * EMPTY_FILE (the file does).
   */
  resume?: { delimiter: string; byteOffset: number; rowOffset: number };
  /**
   * Only count data rows (`rows`): a plain line (no quote) is counted without being split into fields, and
   * onRow is not called for it. Counts, and where records end, are those of a full parse.
   */
  countOnly?: boolean;
}

const LF = 10;
const CR = 13;
const DECODE_BLOCK = 1024;
const TAB = 9;
const QUOTE = 34;

/** Is this UTF-16 code unit removed by String.prototype.trim (WhiteSpace + LineTerminator, §9.5)? */
export function isTrimWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Index of the first byte of the first ill-formed UTF-8 sequence in b[start, end), or -1 (§2). Overlongs, surrogates
 * (ED A0..BF), code points above U+10FFFF and a sequence cut short by `end` are ill-formed.
 */
export function findInvalidUtf8(b: Uint8Array, start = 0, end = b.length): number {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c === 0xe0) {
      need = 2;
      lo = 0xa0;
    } else if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) need = 2;
    else if (c === 0xed) {
      need = 2;
      hi = 0x9f;
    } else if (c === 0xf0) {
      need = 3;
      lo = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) need = 3;
    else if (c === 0xf4) {
      need = 3;
      hi = 0x8f;
    } else return i;
    if (i + need >= end) {
      // Cut short by `end`, or already wrong in the bytes that are there: either way it starts at i.
      return i;
    }
    const c1 = b[i + 1];
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const ck = b[i + k];
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Start of a multi-byte sequence at the end of b[0, end) that needs more bytes, or `end` when there is none. */
function incompleteTail(b: Uint8Array, end: number): number {
  const lim = end >= 3 ? end - 3 : 0;
  for (let i = end - 1; i >= lim; i--) {
    const c = b[i];
    if ((c & 0xc0) !== 0x80) {
      const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      return len > end - i ? i : end;
    }
  }
  return end;
}

// Record states.
const S_REC = 0; // start of a record: only white space so far (a blank-line candidate)
const S_FIELD = 1; // start of a field after a delimiter
const S_UNQ = 2; // inside an unquoted value
const S_QUO = 3; // inside a quoted value
const S_QQ = 4; // a `"` inside a quoted value: `""` escape or the closing quote
const S_AFTER = 5; // after a closing quote, before the delimiter or line break

export class CsvParser {
  private readonly h: CsvHandlers;
  private _bytes = 0;
  private _rows = 0;
  private _delimiter: string | null = null;
  private failed: unknown = null;
  private ended = false;
  private resumed = false;
  private readonly countOnly: boolean;
  private readonly plain: ((s: string, start: number, end: number, row: number) => boolean) | undefined;

  // UTF-8 layer.
  private consumed = 0; // absolute offset of the first byte not decoded yet (the start of `tail`)
  private tail: Buffer | null = null; // incomplete trailing sequence carried to the next chunk
  private textStarted = false; // BOM handling: the first decoded character has been seen

  // Before the header: buffered text and delimiter detection (§9.3).
  private pre = '';
  private preScan = 0;
  private preInHeader = false;
  /** Where the header scan stands (PRE_*): quoting in the header line is read as §9.6 reads it in rows. */
  private preState = PRE_FIELD_START;
  private readonly preCounts = [0, 0, 0, 0];

  // Record layer.
  private dcode = 44;
  private headerDone = false;
  private st = S_REC;
  private fields: string[] = [];
  private partial = ''; // current field's text from earlier chunks (unescaped when quoted)
  private junk = ''; // text after a closing quote
  private esc = false; // the quoted segment being scanned holds `""`
  private rowErr = false;

  private readonly maxFieldChars: number;
  private readonly maxFields: number;

  constructor(handlers: CsvHandlers, opts: CsvParserOptions = {}) {
    this.h = handlers;
    this.maxFieldChars = opts.maxFieldChars ?? MAX_FIELD_CHARS;
    this.maxFields = opts.maxFields ?? MAX_FIELDS;
    this.countOnly = opts.countOnly === true;
    this.plain = handlers.onPlainLine?.bind(handlers);
    if (opts.resume) {
      this.resumed = true;
      this._delimiter = opts.resume.delimiter;
      this.dcode = this._delimiter.charCodeAt(0);
      this.headerDone = true;
      this.textStarted = true; // a BOM only counts at the start of the file
      this.consumed = opts.resume.byteOffset;
      this._rows = opts.resume.rowOffset;
    }
  }

  /** Everything pushed so far ended exactly at the end of a record (or of a blank line): nothing is pending. */
  atRecordStart(): boolean {
    return (
      this.failed === null &&
      this.headerDone &&
      this.tail === null &&
      this.st === S_REC &&
      this.fields.length === 0 &&
      this.partial === '' &&
      this.junk === '' &&
      !this.rowErr
    );
  }

  /** Bytes pushed so far. */
  get bytes(): number {
    return this._bytes;
  }
  /** Data rows emitted so far. */
  get rows(): number {
    return this._rows;
  }
  /** Detected delimiter, null until the header line is known. */
  get delimiter(): string | null {
    return this._delimiter;
  }

  /**
   * Feeds the next bytes of the body. Throws FileLevelError INVALID_ENCODING (after the text before the bad byte has
   * been parsed) and whatever a handler throws. After a throw the parser is dead and rethrows the same error.
   */
  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    if (this.ended) throw new Error('CsvParser.push after end');
    this._bytes += chunk.length;
    if (chunk.length === 0) return;
    try {
      let b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const base = this.consumed;
      if (this.tail) {
        b = Buffer.concat([this.tail, b]);
        this.tail = null;
      }
      const cut = incompleteTail(b, b.length);
      let bad = -1;
      if (!isUtf8(cut === b.length ? b : b.subarray(0, cut))) bad = findInvalidUtf8(b, 0, cut);
      const textEnd = bad >= 0 ? bad : cut;
      if (textEnd > 0) this.decode(b, textEnd);
      if (bad >= 0) throw invalidEncoding(base + bad);
      // Copy: the caller may reuse its chunk buffer.
      if (cut < b.length) this.tail = Buffer.from(b.subarray(cut));
      this.consumed = base + cut;
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }

  /** Ends the body: emits a last row without a line break, then throws EMPTY_FILE / MALFORMED_CSV if they apply. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.ended) return;
    this.ended = true;
    try {
      if (this.tail) throw invalidEncoding(this.consumed);
      if (this._delimiter === null) {
        if (!this.preInHeader) throw new FileLevelError('EMPTY_FILE', 'The file is empty: it has no header and no data rows.');
        this.startBody();
      }
      switch (this.st) {
        case S_QUO:
          throw new FileLevelError(
            'MALFORMED_CSV',
            this.headerDone
              ? `A quoted value in row ${this._rows + 1} is still open at the end of the file.`
              : 'A quoted value in the header is still open at the end of the file.',
            { row: this.headerDone ? this._rows + 1 : 0 },
          );
        case S_QQ: // the closing quote was the last character
          this.fields.push(this.partial);
          this.emit(this.fields, this.rowErr);
          break;
        case S_AFTER:
          this.fields.push(this.partial + this.junk);
          this.emit(this.fields, this.rowErr || this.junk.length > 0);
          break;
        case S_UNQ:
          this.fields.push(this.partial);
          this.emit(this.fields, this.rowErr);
          break;
        case S_FIELD:
          this.fields.push('');
          this.emit(this.fields, this.rowErr);
          break;
        default: // S_REC: only white space after the last line break, a blank line
          break;
      }
      this.fields = [];
      this.partial = '';
      if (this._rows === 0 && !this.resumed) throw new FileLevelError('EMPTY_FILE', 'The file has a header but no data rows.');
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }

  /**
   * Decodes valid UTF-8 b[0, end) into text pieces at line boundaries: ASCII stretches become one-byte strings and
   * only the lines holding other characters become two-byte strings. Decoding a whole chunk with one `ı` in it
   * would make every field sliced from it two-byte, which halves the speed of everything downstream (and of the
   * next files too, through V8's type feedback).
   */
  private decode(b: Buffer, end: number): void {
    if (isAscii(end === b.length ? b : b.subarray(0, end))) {
      this.text(b.toString('latin1', 0, end));
      return;
    }
    let from = 0;
    let i = 0;
    while (i < end) {
      if (b[i] < 0x80) {
        // Skip ASCII natively a block at a time: a byte loop over every chunk with one `ı` in it costs more than
        // parsing the chunk.
        const blockEnd = end - i > DECODE_BLOCK ? i + DECODE_BLOCK : end;
        if (isAscii(b.subarray(i, blockEnd))) {
          i = blockEnd;
          continue;
        }
        while (b[i] < 0x80) i++;
      }
      // The line holding this byte (LF never occurs inside a multi-byte sequence).
      const lf = b.lastIndexOf(LF, i);
      const ls = lf < from ? from : lf + 1;
      const next = b.indexOf(LF, i);
      const le = next < 0 || next >= end ? end : next + 1;
      if (ls > from) this.text(b.toString('latin1', from, ls));
      this.text(b.toString('utf8', ls, le));
      from = i = le;
    }
    if (from < end) this.text(b.toString('latin1', from, end));
  }

  private text(s: string): void {
    if (!this.textStarted) {
      this.textStarted = true;
      // The BOM (EF BB BF) decodes to U+FEFF; it is skipped but its bytes count in offsets.
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      if (s.length === 0) return;
    }
    if (this._delimiter === null) this.preHeader(s);
    else this.run(s);
  }

  /** Buffers text until the header line is complete, skipping blank lines, counting delimiter candidates. */
  private preHeader(s: string): void {
    let p = this.pre + s;
    let i = this.preScan;
    const cap = this.maxFieldChars;
    while (!this.preInHeader) {
      const lim = p.length < cap ? p.length : cap;
      for (; i < lim; i++) {
        const c = p.charCodeAt(i);
        if (c === LF) break;
        if (c === TAB || !isTrimWhitespace(c)) {
          this.preInHeader = true;
          break;
        }
      }
      if (this.preInHeader) {
        i = 0;
        break;
      }
      if (i < lim) {
        p = p.slice(i + 1); // drop the blank line
        i = 0;
        continue;
      }
      this.pre = p;
      this.preScan = i;
      // A white-space run too long to buffer: stop looking for the header line (see the module comment).
      if (lim === cap) this.startBody();
      return;
    }
    const counts = this.preCounts;
    let st = this.preState;
    const lim = p.length < cap ? p.length : cap;
    for (; i < lim; i++) {
      const c = p.charCodeAt(i);
      if (st === PRE_QUOTED) {
        if (c === QUOTE) st = PRE_QUOTE_IN_QUOTED;
        continue; // delimiters and line breaks inside a quoted value count for nothing
      }
      if (st === PRE_QUOTE_IN_QUOTED) {
        if (c === QUOTE) {
          st = PRE_QUOTED; // `""`: an escaped quote
          continue;
        }
        st = PRE_IN_FIELD; // the value closed; what follows is read as unquoted text
      }
      if (c === LF) break;
      // The delimiter is not known yet, so a field starts after any candidate (§9.6: only a field's first
      // character opens a quote; any other `"` is literal and hides no delimiter).
      if (c === 44) counts[0]++;
      else if (c === 59) counts[1]++;
      else if (c === 124) counts[2]++;
      else if (c === TAB) counts[3]++;
      else {
        st = c === QUOTE && st === PRE_FIELD_START ? PRE_QUOTED : PRE_IN_FIELD;
        continue;
      }
      st = PRE_FIELD_START;
    }
    this.preState = st;
    this.pre = p;
    this.preScan = i;
    // The header line ended, or it is too long to buffer and the count stops at `cap` characters.
    if (i < lim || lim === cap) this.startBody();
  }

  /** Fixes the delimiter from the counts and parses the buffered text from the header line on. */
  private startBody(): void {
    const counts = this.preCounts;
    let best = 0;
    for (let k = 1; k < 4; k++) if (counts[k] > counts[best]) best = k;
    this._delimiter = DELIMITERS[best];
    this.dcode = this._delimiter.charCodeAt(0);
    const p = this.pre;
    this.pre = '';
    this.run(p);
  }

  /** `bounded`: the caller knows no field exceeds maxFieldChars and there are at most maxFields. */
  private emit(fields: string[], rowErr: boolean, bounded = false): void {
    if (!bounded) {
      const maxChars = this.maxFieldChars;
      if (fields.length > this.maxFields) {
        fields.length = this.maxFields;
        rowErr = true;
      }
      for (let k = 0; k < fields.length; k++) {
        if (fields[k].length > maxChars) {
          fields[k] = fields[k].slice(0, maxChars);
          rowErr = true;
        }
      }
    }
    if (!this.headerDone) {
      this.headerDone = true;
      const names = new Array<string>(fields.length);
      for (let k = 0; k < fields.length; k++) names[k] = fields[k].trim();
      this.h.onHeader(names, this._delimiter!);
    } else {
      this._rows++;
      this.h.onRow({ row: this._rows, fields, rowError: rowErr });
    }
  }

  /** The record state machine over one piece of decoded text (§2, §9.5, §9.6). */
  private run(s: string): void {
    const n = s.length;
    const D = this.dcode;
    const tabFile = D === TAB;
    let st = this.st;
    let fields = this.fields;
    let partial = this.partial;
    let junk = this.junk;
    let esc = this.esc;
    let rowErr = this.rowErr;
    let i = 0;
    let start = 0; // where the current field's (or blank candidate's) text begins in s
    let qpos = -2; // next `"` at or after i (-1: none left in s, -2: not searched yet)
    const plain = this.countOnly ? undefined : this.plain;

    outer: while (i < n) {
      switch (st) {
        case S_REC: {
          const c = s.charCodeAt(i);
          // Fast path, same result as the state machine: a whole line in this piece, not blank-looking, without
          // quotes, is split with native indexOf instead of a per-character loop.
          if (i === start && partial === '' && c !== QUOTE && c !== LF && (c !== TAB ? !isTrimWhitespace(c) : tabFile)) {
            const lf = s.indexOf('\n', i);
            if (lf >= 0) {
              if (qpos !== -1 && qpos < i) qpos = nextQuote(s, i, n);
              if ((qpos === -1 || qpos > lf) && this.countOnly && this.headerDone) {
                this._rows++;
                start = i = lf + 1;
                continue;
              }
              if ((qpos === -1 || qpos > lf) && plain !== undefined && this.headerDone && lf - i <= this.maxFieldChars) {
                // s[i] is neither LF nor CR (white space), so the line has a character before any CR.
                if (plain(s, i, s.charCodeAt(lf - 1) === CR ? lf - 1 : lf, this._rows + 1)) {
                  this._rows++;
                  start = i = lf + 1;
                  continue;
                }
              }
              if (qpos === -1 || qpos > lf) {
                const dch = this._delimiter!;
                let j = i;
                for (;;) {
                  const d = s.indexOf(dch, j);
                  if (d < 0 || d > lf) {
                    const end = lf > j && s.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
                    fields.push(s.slice(j, end));
                    break;
                  }
                  fields.push(s.slice(j, d));
                  j = d + 1;
                }
                const bounded = lf - i <= this.maxFieldChars && fields.length <= this.maxFields;
                start = i = lf + 1;
                this.emit(fields, false, bounded);
                fields = [];
                continue;
              }
            }
          }
          if (c === LF) {
            // Blank line: not a row, not counted.
            partial = '';
            rowErr = false;
            i++;
            start = i;
            continue;
          }
          if (c !== TAB ? isTrimWhitespace(c) : !tabFile) {
            i++;
            continue;
          }
          if (c === QUOTE && i === start && partial === '') {
            st = S_QUO;
            esc = false;
            start = ++i;
            continue;
          }
          st = S_UNQ; // the white space read so far (from `start`, plus `partial`) begins the first value
          continue;
        }
        case S_FIELD: {
          if (s.charCodeAt(i) === QUOTE) {
            st = S_QUO;
            esc = false;
            start = ++i;
            continue;
          }
          st = S_UNQ;
          start = i;
          continue;
        }
        case S_UNQ: {
          while (i < n) {
            const c = s.charCodeAt(i);
            if (c === D) {
              fields.push(partial === '' ? s.slice(start, i) : partial + s.slice(start, i));
              partial = '';
              start = ++i;
              st = S_FIELD;
              continue outer;
            }
            if (c === LF) {
              let v = partial === '' ? s.slice(start, i) : partial + s.slice(start, i);
              if (v.length > 0 && v.charCodeAt(v.length - 1) === CR) v = v.slice(0, -1);
              fields.push(v);
              partial = '';
              start = ++i;
              st = S_REC;
              this.emit(fields, rowErr);
              fields = [];
              rowErr = false;
              continue outer;
            }
            if (c === QUOTE) rowErr = true; // literal, but the row is malformed (§9.6)
            i++;
          }
          break outer;
        }
        case S_QUO: {
          const q = s.indexOf('"', i);
          if (q < 0) {
            i = n;
            break outer;
          }
          i = q + 1;
          st = S_QQ;
          continue;
        }
        case S_QQ: {
          const q = i - 1; // the pending quote; before `start` when it ended the previous chunk
          if (s.charCodeAt(i) === QUOTE) {
            if (q < start) {
              partial += '"';
              start = i + 1;
            } else esc = true;
            i++;
            st = S_QUO;
            continue;
          }
          if (q >= start) {
            const seg = s.slice(start, q);
            partial += esc ? seg.replaceAll('""', '"') : seg;
          }
          esc = false;
          junk = '';
          start = i;
          st = S_AFTER;
          continue;
        }
        case S_AFTER: {
          while (i < n) {
            const c = s.charCodeAt(i);
            if (c === D || c === LF) {
              let j = junk === '' ? s.slice(start, i) : junk + s.slice(start, i);
              junk = '';
              if (c === LF && j.length > 0 && j.charCodeAt(j.length - 1) === CR) j = j.slice(0, -1);
              if (j.length > 0) rowErr = true; // text after a closing quote (§9.6)
              fields.push(j.length > 0 ? partial + j : partial);
              partial = '';
              start = ++i;
              if (c === D) st = S_FIELD;
              else {
                st = S_REC;
                this.emit(fields, rowErr);
                fields = [];
                rowErr = false;
              }
              continue outer;
            }
            i++;
          }
          break outer;
        }
      }
    }

    // Carry the unfinished field into the next piece.
    switch (st) {
      case S_REC:
      case S_UNQ:
        if (start < n) partial += s.slice(start, n);
        break;
      case S_QUO: {
        const seg = s.slice(start, n);
        partial += esc ? seg.replaceAll('""', '"') : seg;
        esc = false;
        break;
      }
      case S_QQ: {
        // The pending quote is s[n - 1]; it is decided by the next character.
        if (start < n - 1) {
          const seg = s.slice(start, n - 1);
          partial += esc ? seg.replaceAll('""', '"') : seg;
        }
        esc = false;
        break;
      }
      case S_AFTER:
        if (start < n) junk += s.slice(start, n);
        break;
    }
    // Bound what is carried; emit() cuts to the exact limit. One spare character so that the CR of a CRLF split
    // from its LF does not count (the result must not depend on chunking).
    const maxChars = this.maxFieldChars + 1;
    if (fields.length > this.maxFields) {
      fields.length = this.maxFields;
      rowErr = true;
    }
    if (partial.length > maxChars) {
      partial = partial.slice(0, maxChars);
      rowErr = true;
    }
    if (junk.length > maxChars) {
      junk = junk.slice(0, maxChars);
      rowErr = true;
    }
    this.st = st;
    this.fields = fields;
    this.partial = partial;
    this.junk = junk;
    this.esc = esc;
    this.rowErr = rowErr;
  }
}

/**
 * The first `"` in s[i, n), or -1. Not `s.indexOf('"', i)`: once the parser had run over a quoted value, that
 * indexOf made V8 (Node 20) parse every later plain line about 5× slower — the rest of the file and every later
 * file in the process (scripts/bench-parse-after-quotes.ts). A global RegExp scans as fast (≈ 0.02 ms per MB)
 * without that effect; a charCodeAt loop also avoids it but costs ≈ 4.5 ms per MB, seconds on a 1 GB file.
 */
const QUOTE_RE = /"/g;
function nextQuote(s: string, i: number, n: number): number {
  QUOTE_RE.lastIndex = i;
  const m = QUOTE_RE.exec(s);
  return m === null || m.index >= n ? -1 : m.index;
}

function invalidEncoding(offset: number): FileLevelError {
  return new FileLevelError('INVALID_ENCODING', `The file is not valid UTF-8: ill-formed byte sequence at offset ${offset}.`, { offset });
}
