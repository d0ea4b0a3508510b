/** Locale-aware formatting (numbers, bytes, dates, durations) following the selected UI language. */
import { intlLocale, t } from './i18n.ts';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();
function nf(opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const k = `n|${intlLocale()}|${JSON.stringify(opts)}`;
  let f = cache.get(k) as Intl.NumberFormat | undefined;
  if (!f) cache.set(k, (f = new Intl.NumberFormat(intlLocale(), opts)));
  return f;
}
function df(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = `d|${intlLocale()}|${JSON.stringify(opts)}`;
  let f = cache.get(k) as Intl.DateTimeFormat | undefined;
  if (!f) cache.set(k, (f = new Intl.DateTimeFormat(intlLocale(), opts)));
  return f;
}

export const fmtInt = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '—' : nf({ maximumFractionDigits: 0 }).format(n));

/** A number for chart axes and histogram bins (not money: money strings are shown as sent). */
export const fmtNum = (n: number, digits = 2) => nf({ maximumFractionDigits: Math.abs(n) < 1 && n !== 0 ? Math.max(digits, 4) : digits }).format(n);
export const fmtCompact = (n: number) => nf({ notation: 'compact', maximumFractionDigits: 1 }).format(n);

/** A fraction 0..1 as a percentage. */
export const fmtPct = (f: number | null | undefined, digits = 1) =>
  f === null || f === undefined || Number.isNaN(f) ? '—' : nf({ style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: digits }).format(f);

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${nf({ maximumFractionDigits: i === 0 ? 0 : v < 10 ? 1 : 0 }).format(v)} ${units[i]}`;
}

const toDate = (x: string | number | Date) => (x instanceof Date ? x : new Date(x));

export const fmtDateTime = (x: string | number | Date | null | undefined) =>
  x === null || x === undefined || x === '' ? '—' : df({ dateStyle: 'medium', timeStyle: 'short' }).format(toDate(x));
export const fmtTime = (x: string | number | Date) => df({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(toDate(x));
export const fmtDate = (x: string | number | Date) => df({ dateStyle: 'medium', timeZone: 'UTC' }).format(toDate(x));
export const fmtShortDateTime = (x: string | number | Date) => df({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(toDate(x));

export function fmtRelative(x: string | number | Date, now = Date.now()): string {
  const k = `r|${intlLocale()}`;
  let f = cache.get(k) as Intl.RelativeTimeFormat | undefined;
  if (!f) cache.set(k, (f = new Intl.RelativeTimeFormat(intlLocale(), { numeric: 'auto' })));
  const s = (toDate(x).getTime() - now) / 1000;
  const a = Math.abs(s);
  if (a < 45) return t('time.justNow');
  if (a < 3600) return f.format(Math.round(s / 60), 'minute');
  if (a < 86400) return f.format(Math.round(s / 3600), 'hour');
  return f.format(Math.round(s / 86400), 'day');
}

/** Milliseconds as "1 min 5 s" / "850 ms". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0 || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${fmtInt(ms)} ${t('unit.ms')}`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${nf({ maximumFractionDigits: 1 }).format(s)} ${t('unit.s')}`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return `${m} ${t('unit.min')}${rest ? ` ${rest} ${t('unit.s')}` : ''}`;
  const h = Math.floor(m / 60);
  return `${h} ${t('unit.h')} ${m - h * 60} ${t('unit.min')}`;
}

export const durationBetween = (from: string | null | undefined, to: string | null | undefined) =>
  from && to ? new Date(to).getTime() - new Date(from).getTime() : null;

/** Decodes a file name the upload layer percent-encoded (non-Latin-1 header values). */
export function displayFileName(name: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(name)) return name;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

export const shortId = (id: string) => id.slice(0, 8);

/** A schedule interval in seconds as "5 min" / "1 h" / "90 s". */
export function intervalText(s: number): string {
  if (s % 3600 === 0) return `${s / 3600} ${t('unit.h')}`;
  if (s % 60 === 0) return `${s / 60} ${t('unit.min')}`;
  return `${s} ${t('unit.s')}`;
}

/**
 * Rounds a decimal string half away from zero to `digits` fractional digits using string arithmetic only
 * (amounts are never turned into floats). Non-decimal input is returned unchanged.
 */
export function roundDecimal(value: string, digits: number): string {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (!m) return value;
  const [, sign, int, frac = ''] = m;
  if (frac.length <= digits) return value;
  const keep = int + frac.slice(0, digits);
  let out = keep;
  if (frac.charCodeAt(digits) >= 53 /* '5' */) {
    const d = out.split('');
    let i = d.length - 1;
    for (; i >= 0; i--) {
      if (d[i] === '9') d[i] = '0';
      else {
        d[i] = String(Number(d[i]) + 1);
        break;
      }
    }
    out = (i < 0 ? '1' : '') + d.join('');
  }
  const intLen = out.length - digits;
  const res = digits ? `${out.slice(0, intLen)}.${out.slice(intLen)}` : out;
  return /^0*\.?0*$/.test(res.replace('.', '')) ? res : sign + res;
}
