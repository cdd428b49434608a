/**
 * runc-compatible logging: `--log FILE --log-format text|json`.
 * containerd's shim shows the `msg` of the last `"level":"error"` line of the
 * log; podman reads stderr. So an error is written once, here at the CLI
 * boundary: as a JSON (or logfmt) line to --log, and as plain text on stderr.
 */
import * as fs from 'node:fs';
import { isoTime } from '../time.js';

export type LogFormat = 'text' | 'json';

let quiet = false;

/**
 * process.stderr, made to survive a reader that went away: a write to a
 * closed pipe (`joey --debug run … | head`) makes the stream emit 'error'
 * (EPIPE) on the next tick, and without a listener that is an uncaught
 * exception that ends joey wherever it is, a foreground `run` in the middle
 * of its cleanup with the container half made. The message is lost either
 * way. Not done at start-up: touching process.stderr builds the stream, which
 * the fast path avoids.
 */
function stderr(): NodeJS.WriteStream {
  const s = process.stderr;
  if (!quiet) {
    s.on('error', () => {});
    quiet = true;
  }
  return s;
}

export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat,
    private readonly debugEnabled: boolean,
  ) {}

  private line(level: string, msg: string): string {
    const time = isoTime();
    if (this.format === 'json') return `${JSON.stringify({ level, msg, time })}\n`;
    return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
  }

  private write(level: string, msg: string): boolean {
    if (!this.file) return false;
    try {
      fs.appendFileSync(this.file, this.line(level, msg));
      return true;
    } catch {
      return false;
    }
  }

  error(msg: string): void {
    this.write('error', msg);
    stderr().write(`joey: ${msg}\n`);
  }

  /** Warnings must not reach the container's stdio: the log if there is one, else stderr. */
  warn(msg: string): void {
    if (!this.write('warning', msg)) stderr().write(`joey: warning: ${msg}\n`);
  }

  debug(msg: string): void {
    if (!this.debugEnabled) return;
    if (!this.write('debug', msg)) stderr().write(`joey: debug: ${msg}\n`);
  }
}
