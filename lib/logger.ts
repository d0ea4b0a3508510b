/** Structured JSON logs on stdout, one object per line. Never pass API keys or secrets in fields. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether lines of this level are written (to skip building fields nobody reads). */
  enabled(level: LogLevel): boolean;
}

export function createLogger(level: LogLevel = 'info', base: Record<string, unknown> = {}, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  return new JsonLogger(LEVELS[level], base, out);
}

// A class, not closures, and a child's fields merged only when it writes: a child logger is made per HTTP
// request, and most of them never write a line.
class JsonLogger implements Logger {
  private merged: Record<string, unknown> | null = null;
  constructor(
    private readonly min: number,
    private readonly parentBase: Record<string, unknown>,
    private readonly out: (line: string) => void,
    private readonly own: Record<string, unknown> | null = null,
  ) {}
  private get base(): Record<string, unknown> {
    return (this.merged ??= this.own ? { ...this.parentBase, ...this.own } : this.parentBase);
  }
  private emit(lvl: LogLevel, msg: string, fields?: Record<string, unknown>) {
    if (LEVELS[lvl] < this.min) return;
    this.out(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...this.base, ...fields }, errorReplacer));
  }
  debug(msg: string, fields?: Record<string, unknown>) {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>) {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>) {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>) {
    this.emit('error', msg, fields);
  }
  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.min;
  }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.min, this.base, this.out, fields);
  }
}

function errorReplacer(_key: string, value: unknown) {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

export const silentLogger: Logger = createLogger('error', {}, () => {});
