/**
 * Reads staged rows (RowBinary, domain/staged-rows.ts) back as text, for assertions: one line per row, values
 * TAB-separated as the staged TabSeparated rows were before: NULL as `\N`, backslash and control characters escaped,
 * money (scale 2) with its two decimals, other decimals in minimal form, dates `YYYY-MM-DD`, source_row last.
 * Written from the RowBinary format's documentation rather than from the encoder, so the two check each other.
 */
import { L_DATE32, L_DECIMAL, L_STRING, L_UINT, columnLayout, stagedColumns } from '../../domain/staged-rows.ts';
import type { FileType } from '../../domain/columns.ts';

export function decodeStagedRows(ft: FileType, bytes: Uint8Array): string[][] {
  const layouts = stagedColumns(ft).map((c) => columnLayout(c.chType));
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows: string[][] = [];
  let p = 0;
  while (p < b.length) {
    const row: string[] = [];
    for (const l of layouts) {
      if (l.nullable && b[p++] === 1) {
        row.push('\\N');
        continue;
      }
      switch (l.kind) {
        case L_STRING: {
          let len = 0;
          for (let shift = 0; ; shift += 7) {
            const x = b[p++];
            len += (x & 0x7f) * 2 ** shift;
            if (x < 0x80) break;
          }
          const s = b.toString('utf8', p, p + len);
          p += len;
          row.push(s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
          break;
        }
        case L_UINT: {
          row.push(String(b.readUIntLE(p, l.width)));
          p += l.width;
          break;
        }
        case L_DATE32: {
          row.push(new Date(b.readInt32LE(p) * 86_400_000).toISOString().slice(0, 10));
          p += 4;
          break;
        }
        case L_DECIMAL: {
          const v = l.width === 4 ? BigInt(b.readInt32LE(p)) : b.readBigInt64LE(p);
          p += l.width;
          const neg = v < 0n;
          const digits = (neg ? -v : v).toString().padStart(l.scale + 1, '0');
          let frac = digits.slice(digits.length - l.scale);
          if (l.scale !== 2) frac = frac.replace(/0+$/, '');
          row.push(`${neg ? '-' : ''}${digits.slice(0, digits.length - l.scale)}${frac ? `.${frac}` : ''}`);
          break;
        }
      }
    }
    rows.push(row);
  }
  if (p !== b.length) throw new Error(`staged rows: ${p - b.length} bytes past the end`);
  return rows;
}

/** The staged rows of some batches as text lines (see decodeStagedRows). */
export function stagedLines(ft: FileType, parts: readonly (Uint8Array | null)[]): string[] {
  return decodeStagedRows(ft, Buffer.concat(parts.filter((x): x is Uint8Array => x !== null))).map((r) => r.join('\t'));
}
