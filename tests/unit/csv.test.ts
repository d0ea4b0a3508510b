import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { CsvParser, findInvalidUtf8, isTrimWhitespace, type CsvParserOptions, type CsvRow } from '../../domain/csv.ts';
import { FileLevelError } from '../../domain/file-errors.ts';

interface Outcome {
  header: string[] | null;
  delimiter: string | null;
  rows: CsvRow[];
  error: { code: string; details: object } | null;
  events: string[];
}

type Split = 'whole' | 'bytes' | number[];

function toBytes(input: string | Uint8Array): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
}

/** Parses `input` pushed in the given pieces; records every event and the file-level error, if any. */
function parse(input: string | Uint8Array, split: Split = 'whole', opts: CsvParserOptions = {}): Outcome {
  const bytes = toBytes(input);
  const out: Outcome = { header: null, delimiter: null, rows: [], error: null, events: [] };
  const p = new CsvParser({
    onHeader(names, delimiter) {
      out.header = names;
      out.delimiter = delimiter;
      out.events.push('H' + JSON.stringify([names, delimiter]));
    },
    onRow(row) {
      out.rows.push(row);
      out.events.push('R' + JSON.stringify(row));
    },
  }, opts);
  const pieces: Buffer[] = [];
  if (split === 'whole') pieces.push(bytes);
  else if (split === 'bytes') for (let i = 0; i < bytes.length; i++) pieces.push(bytes.subarray(i, i + 1));
  else {
    let prev = 0;
    for (const cut of [...split, bytes.length]) {
      pieces.push(bytes.subarray(prev, cut));
      prev = cut;
    }
  }
  try {
    for (const piece of pieces) p.push(piece);
    p.end();
  } catch (err) {
    if (!(err instanceof FileLevelError)) throw err;
    out.error = { code: err.code, details: err.details };
    out.events.push('E' + JSON.stringify(out.error));
  }
  if (!out.error) assert.equal(p.bytes, bytes.length);
  assert.equal(p.rows, out.rows.length);
  return out;
}

function fields(o: Outcome): string[][] {
  return o.rows.map((r) => r.fields);
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCuts(len: number, rand: () => number): number[] {
  const k = Math.floor(rand() * 8);
  const cuts = new Set<number>();
  for (let i = 0; i < k; i++) cuts.add(Math.floor(rand() * (len + 1)));
  return [...cuts].sort((a, b) => a - b);
}

// ---------------------------------------------------------------- header and delimiter

test('§2 header names are trimmed, the header is row 0 and data rows are numbered from 1', () => {
  const o = parse('  a , b\u00a0,\tc \n1,2,3\n4,5,6\n');
  assert.deepEqual(o.header, ['a', 'b', 'c']);
  assert.equal(o.delimiter, ',');
  assert.deepEqual(
    o.rows.map((r) => r.row),
    [1, 2],
  );
  assert.deepEqual(fields(o), [
    ['1', '2', '3'],
    ['4', '5', '6'],
  ]);
});

test('§2 raw fields are returned untrimmed', () => {
  const o = parse('a,b,c\n  x ,"  y  ", z\t\n');
  assert.deepEqual(o.rows[0].fields, ['  x ', '  y  ', ' z\t']);
  assert.equal(o.rows[0].rowError, false);
});

test('§9.3 each candidate delimiter is detected from the header line', () => {
  for (const d of [',', ';', '|', '\t']) {
    const o = parse(`a${d}b${d}c\n1${d}2${d}3\n`);
    assert.equal(o.delimiter, d);
    assert.deepEqual(o.header, ['a', 'b', 'c']);
    assert.deepEqual(fields(o), [['1', '2', '3']]);
  }
});

test('§9.3 the most frequent candidate wins', () => {
  assert.equal(parse('a;b;c,d\n1;2;3,4\n').delimiter, ';');
  assert.equal(parse('a|b|c;d;e|f\n1\n').delimiter, '|');
  assert.equal(parse('a\tb\tc,d\n1\n').delimiter, '\t');
});

test('§9.3 ties go to the earlier candidate in , ; | TAB', () => {
  assert.equal(parse('a,b;c\n1\n').delimiter, ',');
  assert.equal(parse('a;b,c\n1\n').delimiter, ',');
  assert.equal(parse('a|b;c\n1\n').delimiter, ';');
  assert.equal(parse('a\tb|c\n1\n').delimiter, '|');
  assert.equal(parse('a;b;c|d|e,f,g\n1\n').delimiter, ',');
});

test('§9.3 no candidate at all means a comma', () => {
  const o = parse('loan_account_number\nX\n');
  assert.equal(o.delimiter, ',');
  assert.deepEqual(o.header, ['loan_account_number']);
});

test('§9.3 candidates inside quotes are not counted', () => {
  const o = parse('"a;b;c",d\n1,2\n');
  assert.equal(o.delimiter, ',');
  assert.deepEqual(o.header, ['a;b;c', 'd']);
});

test('§9.3 a quoted header name may span lines and the count continues after it', () => {
  const o = parse('"a\nb;c";d;e\n1;2;3\n');
  assert.equal(o.delimiter, ';');
  assert.deepEqual(o.header, ['a\nb;c', 'd', 'e']);
  assert.deepEqual(fields(o), [['1', '2', '3']]);
});

test('§9.3 with §9.6: a quote inside a header name is literal and hides no delimiter after it', () => {
  for (const split of ['whole', 'bytes'] as const) {
    const o = parse('Boy 5";a;b;c\n1;2;3;4\n', split);
    assert.equal(o.delimiter, ';', split);
    assert.deepEqual(o.header, ['Boy 5"', 'a', 'b', 'c'], split);
    assert.deepEqual(fields(o), [['1', '2', '3', '4']], split);
  }
});

test('§9.3 with §9.6: a quote opens a header value only at a field start; "" inside it is a quote', () => {
  assert.equal(parse('"a"";b";c;d\n1;2;3\n').delimiter, ';'); // the ; inside the quoted name is not counted
  assert.deepEqual(parse('"a"";b";c;d\n1;2;3\n').header, ['a";b', 'c', 'd']);
  assert.equal(parse('a,x"y;z;w\n1\n').delimiter, ';'); // x"y: a literal quote mid-name
  assert.equal(parse('a;"x,y,z";b\n1\n').delimiter, ';'); // quoted after a candidate: its commas do not count
});

test('§7 with §9.6: a header with a stray quote ends at its line break, so it is bound before a bad byte further down', () => {
  const o = parse(Buffer.concat([Buffer.from('x"y;a\n1;2\n'), Buffer.from([0xff, 0x0a])]));
  assert.equal(o.events[0], 'H' + JSON.stringify([['x"y', 'a'], ';']));
  assert.equal(o.error?.code, 'INVALID_ENCODING');
});

// ---------------------------------------------------------------- line breaks and blank lines

test('§2 LF and CRLF files give identical rows; the CR of CRLF is not part of a value', () => {
  const lf = parse('a,b\n1,2\n3,"4"\n');
  const crlf = parse('a,b\r\n1,2\r\n3,"4"\r\n');
  assert.deepEqual(crlf.header, lf.header);
  assert.deepEqual(fields(crlf), fields(lf));
  assert.ok(crlf.rows.every((r) => !r.rowError));
});

test('§2 a last row without a line break is still a row', () => {
  assert.deepEqual(fields(parse('a,b\n1,2')), [['1', '2']]);
  assert.deepEqual(fields(parse('a,b\n1,')), [['1', '']]);
  assert.deepEqual(fields(parse('a,b\n1,"2"')), [['1', '2']]);
});

test('§2 documented choice: a lone CR is an ordinary character, not a line break', () => {
  const o = parse('a,b\n1,2\r3,4\n');
  assert.deepEqual(fields(o), [['1', '2\r3', '4']]);
  assert.equal(o.rows[0].rowError, false);
});

test('§9.5 blank lines before the header, between rows and at the end are skipped and not counted', () => {
  const o = parse('\n   \n\r\n\u00a0\ufeff\u2028\u3000\na,b\n\n1,2\n \t \r\n3,4\n\n  \n');
  assert.deepEqual(o.header, ['a', 'b']);
  assert.deepEqual(
    o.rows.map((r) => [r.row, ...r.fields]),
    [
      [1, '1', '2'],
      [2, '3', '4'],
    ],
  );
});

test('§9.5 a line holding U+0085 is not blank (U+0085 is not white space)', () => {
  const o = parse('a,b\n\u0085\n1,2\n');
  assert.deepEqual(fields(o), [['\u0085'], ['1', '2']]);
  assert.equal(o.rows[1].row, 2);
});

test('§9.5 in a TAB file a line holding a TAB is a row, never blank', () => {
  const o = parse('a\tb\n\t\n \t \n1\t2\n');
  assert.deepEqual(
    o.rows.map((r) => [r.row, ...r.fields]),
    [
      [1, '', ''],
      [2, ' ', ' '],
      [3, '1', '2'],
    ],
  );
});

test('§9.5 in a comma file a line of white space and TABs is blank', () => {
  const o = parse('a,b\n\t \t\n1,2\n');
  assert.deepEqual(fields(o), [['1', '2']]);
});

test('§9.5 documented choice: before the header a white-space line holding a TAB is the (TAB) header', () => {
  const o = parse(' \t \na,b\n1,2\n');
  assert.equal(o.delimiter, '\t');
  assert.deepEqual(o.header, ['', '']);
});

test('§9.5 a line of only delimiters is a row with empty values', () => {
  const o = parse('a,b,c\n,,\n,\n');
  assert.deepEqual(fields(o), [['', '', ''], ['', '']]);
});

// ---------------------------------------------------------------- quoting

test('§2 RFC 4180: quoted values hold delimiters, LF, CRLF and "" escapes', () => {
  const o = parse('a,b,c,d\n"x,y","line1\nline2","say ""hi""","cr\r\nlf"\n"",""""," , ",end\n');
  assert.deepEqual(fields(o), [
    ['x,y', 'line1\nline2', 'say "hi"', 'cr\r\nlf'],
    ['', '"', ' , ', 'end'],
  ]);
  assert.ok(o.rows.every((r) => !r.rowError));
  assert.deepEqual(
    o.rows.map((r) => r.row),
    [1, 2],
  );
});

test('§9.6 a quote inside an unquoted value is literal and marks the row, which ends at its line break', () => {
  const o = parse('a,b\n1,x"y\n2,"z"\n3,ab""\n');
  assert.deepEqual(fields(o), [
    ['1', 'x"y'],
    ['2', 'z'],
    ['3', 'ab""'],
  ]);
  assert.deepEqual(
    o.rows.map((r) => r.rowError),
    [true, false, true],
  );
});

test('§9.6 text after a closing quote marks the row, white space included', () => {
  const o = parse('a,b\n"x"y,1\n"x" ,1\n1,"x"\t\n"x""",1\n"x"\u00a0\n');
  assert.deepEqual(
    o.rows.map((r) => r.rowError),
    [true, true, true, false, true],
  );
  assert.equal(o.rows[3].fields[0], 'x"');
});

test('§9.6 CRLF right after a closing quote is a line break, a lone CR after it is text', () => {
  const o = parse('a,b\r\n1,"x"\r\n2,"y"\r3,4\n');
  assert.equal(o.rows[0].rowError, false);
  assert.deepEqual(o.rows[0].fields, ['1', 'x']);
  assert.equal(o.rows[1].rowError, true);
  assert.equal(o.rows.length, 2);
});

test('§9.6 documented choice: white space before a quote makes the value unquoted (first character rule)', () => {
  const o = parse('a,b\n1, "x,y"\n');
  assert.equal(o.rows[0].rowError, true);
  assert.deepEqual(o.rows[0].fields, ['1', ' "x', 'y"']);
});

test('§9.6 a quote opening the first value of a row quotes it; leading spaces do not', () => {
  const o = parse('a,b\n"1,2",3\n  "1",3\n');
  assert.deepEqual(o.rows[0].fields, ['1,2', '3']);
  assert.equal(o.rows[0].rowError, false);
  assert.equal(o.rows[1].rowError, true);
});

test('§9.6 a quoted value spanning lines keeps later lines in the same row', () => {
  const o = parse('a,b\n1,"first\n\nthird"\n2,x\n');
  assert.deepEqual(fields(o), [
    ['1', 'first\n\nthird'],
    ['2', 'x'],
  ]);
  assert.deepEqual(
    o.rows.map((r) => r.row),
    [1, 2],
  );
});

// ---------------------------------------------------------------- file-level errors

test('§7 MALFORMED_CSV names the data row whose quoted value is open at the end', () => {
  const o = parse('a,b\n1,2\n\n3,4\n5,"open\n6,7\n');
  assert.deepEqual(o.error, { code: 'MALFORMED_CSV', details: { row: 3 } });
  assert.equal(o.rows.length, 2);
});

test('§7 MALFORMED_CSV in the header is row 0 and the header is never bound', () => {
  const o = parse('a,"b\n1,2\n');
  assert.deepEqual(o.error, { code: 'MALFORMED_CSV', details: { row: 0 } });
  assert.equal(o.header, null);
});

test('§7 MALFORMED_CSV wins over EMPTY_FILE when the only data row is open', () => {
  assert.deepEqual(parse('a,b\n"x').error, { code: 'MALFORMED_CSV', details: { row: 1 } });
});

test('§7 a closing quote as the very last byte is not MALFORMED_CSV', () => {
  const o = parse('a,b\n1,"x"');
  assert.equal(o.error, null);
  assert.deepEqual(fields(o), [['1', 'x']]);
});

test('§7 EMPTY_FILE: no bytes, only a BOM, only blank lines, a header and no data rows', () => {
  const cases: (string | Uint8Array)[] = [
    '',
    new Uint8Array([0xef, 0xbb, 0xbf]),
    '\n\n  \r\n',
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\r\n \n')]),
    'a,b',
    'a,b\n',
    'a,b\r\n\r\n   \n',
    '\ufeffa,b\n',
  ];
  for (const c of cases) {
    for (const split of ['whole', 'bytes'] as const) {
      const o = parse(c, split);
      assert.equal(o.error?.code, 'EMPTY_FILE', JSON.stringify(toBytes(c).toString()));
    }
  }
});

test('§7 EMPTY_FILE comes after the header was bound (a bad header is reported first)', () => {
  const p = new CsvParser({
    onHeader() {
      throw new FileLevelError('MISSING_COLUMNS', 'missing', { columns: ['x'] });
    },
    onRow() {},
  });
  p.push(Buffer.from('a,b'));
  assert.throws(() => p.end(), (e: unknown) => e instanceof FileLevelError && e.code === 'MISSING_COLUMNS');
});

test('§2 a BOM is skipped: the first header name is clean', () => {
  const o = parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n1,2\n')]));
  assert.deepEqual(o.header, ['a', 'b']);
  assert.deepEqual(fields(o), [['1', '2']]);
});

test('§2 only the first BOM is skipped; a later U+FEFF is text (and trimmed as white space)', () => {
  const o = parse('\ufeff\ufeffa,b\n\ufeff1,2\n');
  assert.deepEqual(o.header, ['a', 'b']);
  assert.deepEqual(fields(o), [['\ufeff1', '2']]);
});

const invalidCases: { name: string; bytes: number[]; offset: number }[] = [
  { name: 'C3 28 (bad continuation) at the C3', bytes: [...Buffer.from('a,b\n1,'), 0xc3, 0x28, 0x0a], offset: 6 },
  { name: 'a lone continuation byte', bytes: [...Buffer.from('a,b\n1,x'), 0x80, 0x0a], offset: 7 },
  { name: 'ED A0 80 (UTF-16 surrogate)', bytes: [...Buffer.from('a,b\n1,'), 0xed, 0xa0, 0x80], offset: 6 },
  { name: 'F4 90 80 80 (above U+10FFFF)', bytes: [...Buffer.from('a,b\n1,'), 0xf4, 0x90, 0x80, 0x80], offset: 6 },
  { name: 'C0 80 (overlong NUL)', bytes: [...Buffer.from('a,b\n'), 0xc0, 0x80], offset: 4 },
  { name: 'E0 80 80 (overlong)', bytes: [...Buffer.from('a,b\n'), 0xe0, 0x80, 0x80], offset: 4 },
  { name: 'F0 80 80 80 (overlong)', bytes: [...Buffer.from('a,b\n'), 0xf0, 0x80, 0x80, 0x80], offset: 4 },
  { name: 'F5 (never a lead byte)', bytes: [...Buffer.from('a,b\n1,'), 0xf5, 0x0a], offset: 6 },
  { name: 'FF', bytes: [...Buffer.from('a,b\n1,'), 0xff], offset: 6 },
  { name: 'E2 82 then a letter (truncated mid-file)', bytes: [...Buffer.from('a,b\n'), 0xe2, 0x82, 0x41, 0x0a], offset: 4 },
  { name: 'E2 82 truncated at the end of the file', bytes: [...Buffer.from('a,b\n1,'), 0xe2, 0x82], offset: 6 },
  { name: 'F0 9F 98 truncated at the end of the file', bytes: [...Buffer.from('a,b\n1,'), 0xf0, 0x9f, 0x98], offset: 6 },
  { name: 'C3 truncated at the end of the file', bytes: [...Buffer.from('a,b\n1,2\n'), 0xc3], offset: 8 },
  { name: 'valid é then C3 C3 A9', bytes: [...Buffer.from('a,b\n1,é'), 0xc3, 0xc3, 0xa9], offset: 8 },
];

for (const c of invalidCases) {
  test(`§2 INVALID_ENCODING offset: ${c.name}`, () => {
    const bytes = new Uint8Array(c.bytes);
    for (const split of ['whole', 'bytes'] as const) {
      const o = parse(bytes, split);
      assert.deepEqual(o.error, { code: 'INVALID_ENCODING', details: { offset: c.offset } }, split);
    }
    const rand = rng(c.offset * 7919 + c.bytes.length);
    for (let k = 0; k < 30; k++) {
      const o = parse(bytes, randomCuts(bytes.length, rand));
      assert.deepEqual(o.error, { code: 'INVALID_ENCODING', details: { offset: c.offset } });
    }
  });
}

test('§2 INVALID_ENCODING offsets count the BOM', () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n1,'), Buffer.from([0xc3, 0x28])]);
  assert.deepEqual(parse(bytes).error, { code: 'INVALID_ENCODING', details: { offset: 9 } });
});

test('§2 INVALID_ENCODING in the 2nd chunk after a sequence split across chunks', () => {
  // "é" (C3 A9) is split between the chunks; the bad byte follows in chunk 2.
  const bytes = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xc3, 0xa9]), Buffer.from('x'), Buffer.from([0xed, 0xa0, 0x80])]);
  const o = parse(bytes, [7]);
  assert.deepEqual(o.error, { code: 'INVALID_ENCODING', details: { offset: 9 } });
});

test('§2 a valid multi-byte sequence split anywhere decodes the same', () => {
  const text = 'a,b\nç€😀,ı\n';
  const bytes = Buffer.from(text);
  const whole = parse(bytes);
  for (let cut = 0; cut <= bytes.length; cut++) assert.deepEqual(parse(bytes, [cut]).events, whole.events);
  assert.deepEqual(fields(whole), [['ç€😀', 'ı']]);
});

test('§7 first failure in file order: a bad header is reported before a bad byte further down', () => {
  const bytes = Buffer.concat([Buffer.from('a,b\n1,2\n'), Buffer.from([0xff])]);
  for (const split of ['whole', 'bytes'] as const) {
    const p = new CsvParser({
      onHeader() {
        throw new FileLevelError('DUPLICATE_COLUMNS', 'dup', { columns: ['a'] });
      },
      onRow() {},
    });
    const pieces = split === 'whole' ? [bytes] : [...bytes].map((b) => new Uint8Array([b]));
    assert.throws(
      () => {
        for (const piece of pieces) p.push(piece);
        p.end();
      },
      (e: unknown) => e instanceof FileLevelError && e.code === 'DUPLICATE_COLUMNS',
    );
  }
});

test('§7 documented choice: a bad byte inside the header line wins (the header is judged at its line end)', () => {
  const bytes = Buffer.concat([Buffer.from('a,a,'), Buffer.from([0xff]), Buffer.from('\n1,2,3\n')]);
  let bound = false;
  const p = new CsvParser({
    onHeader() {
      bound = true;
    },
    onRow() {},
  });
  assert.throws(() => p.push(bytes), (e: unknown) => e instanceof FileLevelError && e.code === 'INVALID_ENCODING' && e.details.offset === 4);
  assert.equal(bound, false);
});

test('§7 rows before a bad byte are emitted, the row holding it is not', () => {
  const bytes = Buffer.concat([Buffer.from('a,b\n1,2\n3,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n5,6\n')]);
  const o = parse(bytes);
  assert.deepEqual(fields(o), [['1', '2']]);
  assert.deepEqual(o.error, { code: 'INVALID_ENCODING', details: { offset: 10 } });
});

test('§7 a parser that threw rethrows the same error and emits nothing more', () => {
  const p = new CsvParser({ onHeader() {}, onRow() {} });
  let first: unknown;
  try {
    p.push(new Uint8Array([0xff]));
  } catch (e) {
    first = e;
  }
  assert.ok(first instanceof FileLevelError);
  assert.throws(() => p.push(Buffer.from('a')), (e: unknown) => e === first);
  assert.throws(() => p.end(), (e: unknown) => e === first);
});

test('exceptions thrown by onRow propagate out of push', () => {
  const boom = new Error('boom');
  const p = new CsvParser({
    onHeader() {},
    onRow() {
      throw boom;
    },
  });
  assert.throws(() => p.push(Buffer.from('a\n1\n')), (e: unknown) => e === boom);
});

test('§9.16 bytes, rows (data rows, blank lines excluded) and delimiter report progress', () => {
  const seen: number[] = [];
  const p = new CsvParser({
    onHeader() {},
    onRow(r) {
      seen.push(r.row);
    },
  });
  assert.equal(p.delimiter, null);
  p.push(Buffer.from('a;b\n1;2\n'));
  assert.equal(p.delimiter, ';');
  assert.equal(p.rows, 1);
  p.push(Buffer.from('3;4'));
  assert.equal(p.rows, 1);
  assert.equal(p.bytes, 11);
  p.end();
  assert.equal(p.rows, 2);
  assert.deepEqual(seen, [1, 2]);
});

// ---------------------------------------------------------------- chunking equivalence and fuzzing

const TRICKY = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(
    '\n  \r\n' +
      '"loan""s",b;c|d,"e\r\nf",ü€😀\r\n' +
      '1,"x,y","q""q",😀é,"multi\nline\r\n"\r\n' +
      '\u00a0\u2028\r\n' +
      '2,a"b,c,d,e\n' +
      '3,"x" ,c,d,e\r\n' +
      '4,"open\nand close",,,""\n' +
      ' "lead",1,2,3,4\n' +
      ',,,,\n' +
      '5,6,7,8,9\r\n' +
      '"a\r"\r\n' +
      ',"b"\r\n' +
      'last,"x""",y,z,"w"',
  ),
]);

test('§2 chunking does not matter: 1-byte chunks and random splits give identical results', () => {
  const whole = parse(TRICKY);
  assert.equal(whole.error, null);
  assert.equal(whole.rows.length, 10);
  assert.deepEqual(parse(TRICKY, 'bytes').events, whole.events);
  const rand = rng(42);
  for (let k = 0; k < 300; k++) assert.deepEqual(parse(TRICKY, randomCuts(TRICKY.length, rand)).events, whole.events);
});

test('§2 chunking does not matter for random documents, errors included', () => {
  const alphabet = [',', ';', '|', '\t', '"', '"', '\n', '\r', '\r\n', ' ', 'a', 'b', 'é', '😀', '\u00a0', '\u0085'];
  const rand = rng(7);
  for (let doc = 0; doc < 400; doc++) {
    const len = Math.floor(rand() * 50);
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    let bytes = Buffer.from(s);
    if (rand() < 0.2) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    if (rand() < 0.2) {
      const at = Math.floor(rand() * (bytes.length + 1));
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([[0xff, 0xc3, 0xed, 0x80][Math.floor(rand() * 4)]]), bytes.subarray(at)]);
    }
    const whole = parse(bytes);
    assert.deepEqual(parse(bytes, 'bytes').events, whole.events, JSON.stringify(bytes.toString('latin1')));
    for (let k = 0; k < 5; k++) assert.deepEqual(parse(bytes, randomCuts(bytes.length, rand)).events, whole.events);
  }
});

test('§2 findInvalidUtf8 agrees with Buffer.isUtf8 and with the WHATWG decoder on random bytes', () => {
  const rand = rng(99);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff, 0x90, 0xa0, 0x8f, 0x9f];
  for (let k = 0; k < 20000; k++) {
    const len = 1 + Math.floor(rand() * 8);
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = rand() < 0.7 ? interesting[Math.floor(rand() * interesting.length)] : Math.floor(rand() * 256);
    const at = findInvalidUtf8(b);
    assert.equal(at === -1, isUtf8(b), Buffer.from(b).toString('hex'));
    if (at >= 0) {
      assert.ok(isUtf8(b.subarray(0, at)));
      // The decoder replaces the first ill-formed sequence with U+FFFD; its byte offset is ours.
      const s = new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
      const idx = s.indexOf('\ufffd');
      const ref = Buffer.byteLength(s.slice(0, idx));
      if (!(b[ref] === 0xef && b[ref + 1] === 0xbf && b[ref + 2] === 0xbd)) assert.equal(at, ref, Buffer.from(b).toString('hex'));
    }
  }
});

test('§9.5 isTrimWhitespace is exactly what String.prototype.trim removes, for every UTF-16 code unit', () => {
  for (let c = 0; c <= 0xffff; c++) {
    const ch = String.fromCharCode(c);
    assert.equal(isTrimWhitespace(c), ('x' + ch).trim() === 'x', c.toString(16));
  }
});

test('§9.6 a "" escape split across chunks unescapes the same', () => {
  const text = 'a,b\n"x""y",2\n';
  const whole = parse(text);
  for (let cut = 0; cut <= text.length; cut++) assert.deepEqual(parse(text, [cut]).events, whole.events);
  assert.deepEqual(fields(whole), [['x"y', '2']]);
});

test('§6 ragged rows are emitted as read; the field-count check belongs to the validator', () => {
  const o = parse('a,b,c\n1\n1,2,3,4\n');
  assert.deepEqual(fields(o), [['1'], ['1', '2', '3', '4']]);
});

test('memory bounds: an over-long field is truncated and marks its row, whatever the chunking', () => {
  const opts = { maxFieldChars: 5 };
  const text = 'a,b\n1,0123456789\n2,"abcdefgh"\n3,45\n';
  const whole = parse(text, 'whole', opts);
  assert.deepEqual(
    whole.rows.map((r) => [r.fields, r.rowError]),
    [
      [['1', '01234'], true],
      [['2', 'abcde'], true],
      [['3', '45'], false],
    ],
  );
  assert.deepEqual(parse(text, 'bytes', opts).events, whole.events);
});

test('memory bounds: a record with too many fields keeps the first ones and is marked', () => {
  const opts = { maxFields: 3 };
  const text = 'a,b,c\n1,2,3,4,5\n1,2,3\n';
  const whole = parse(text, 'whole', opts);
  assert.deepEqual(
    whole.rows.map((r) => [r.fields, r.rowError]),
    [
      [['1', '2', '3'], true],
      [['1', '2', '3'], false],
    ],
  );
  assert.deepEqual(parse(text, 'bytes', opts).events, whole.events);
});

test('memory bounds: an open quote to the end is still MALFORMED_CSV; a huge header line stops buffering', () => {
  const opts = { maxFieldChars: 8 };
  assert.deepEqual(parse('a,b\n1,"' + 'x'.repeat(100) + '\n', 'bytes', opts).error, { code: 'MALFORMED_CSV', details: { row: 1 } });
  // Only the first 8 characters of the header line are counted: ';' wins although ',' is more frequent overall.
  const o = parse('a;b;c;d,e,f,g,h,i\n1\n', 'whole', opts);
  assert.equal(o.delimiter, ';');
  assert.deepEqual(parse('a;b;c;d,e,f,g,h,i\n1\n', 'bytes', opts).events, o.events);
});

test('memory bounds: chunking does not matter for random documents with tiny limits', () => {
  const alphabet = [',', ';', '"', '\n', '\r\n', ' ', 'a', 'é', '😀', '\t'];
  const rand = rng(1234);
  for (let doc = 0; doc < 300; doc++) {
    const opts = { maxFieldChars: 1 + Math.floor(rand() * 6), maxFields: 1 + Math.floor(rand() * 4) };
    let s = '';
    const len = Math.floor(rand() * 60);
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    const whole = parse(s, 'whole', opts);
    assert.deepEqual(parse(s, 'bytes', opts).events, whole.events, JSON.stringify([s, opts]));
    for (let k = 0; k < 3; k++) assert.deepEqual(parse(s, randomCuts(Buffer.byteLength(s), rand), opts).events, whole.events);
  }
});

test('count-only parsing and resumed slices count exactly the rows of a full parse (quotes, blank lines, CRLF, TAB files)', () => {
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const pieces = ['a', 'b c', ' ', '\t', '"q"', '"x\ny"', '"a""b"', 'x"y', '"z" junk', '', 'é', 'ı'];
  for (let round = 0; round < 200; round++) {
    const d = [',', ';', '\t'][rnd(3)];
    const lines = ['h1' + d + 'h2' + d + 'h3'];
    for (let k = 0; k < 40; k++) {
      const kind = rnd(10);
      if (kind === 0) lines.push('');
      else if (kind === 1) lines.push('   ');
      else lines.push(Array.from({ length: 1 + rnd(4) }, () => pieces[rnd(pieces.length)]).join(d));
    }
    const body = Buffer.from(lines.join(rnd(2) ? '\n' : '\r\n') + (rnd(2) ? '\n' : ''));
    const full = new CsvParser({ onHeader() {}, onRow() {} });
    const count = new CsvParser({ onHeader() {}, onRow() {} }, { countOnly: true });
    let failure: unknown = null;
    try {
      for (let o = 0; o < body.length; o += 7) full.push(body.subarray(o, o + 7));
      full.end();
    } catch (err) {
      failure = err;
    }
    if (failure) {
      assert.throws(() => {
        count.push(body);
        count.end();
      }, FileLevelError);
      continue;
    }
    count.push(body);
    count.end();
    assert.equal(count.rows, full.rows, `round ${round}: ${JSON.stringify(body.toString())}`);
    // A slice resumed after the header line (when the header holds no quote) counts the remaining rows.
    const cut = body.indexOf(0x0a) + 1;
    const rest = new CsvParser({ onHeader() {}, onRow() {} }, { countOnly: true, resume: { delimiter: full.delimiter!, byteOffset: cut, rowOffset: 0 } });
    rest.push(body.subarray(cut));
    rest.end();
    assert.equal(rest.rows, full.rows, `round ${round}: resumed after the header`);
  }
});
