/**
 * Progress for `joey bundle create` — one line per layer, redrawn in place like
 * `docker pull`, on stderr only when it is a terminal and `--quiet` is not given.
 * Terminal: ECMA-48 CR and EL (`\r\x1b[2K`).
 */

export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface Task {
  add(bytes: number): void;
  done(note?: string): void;
}

export interface Progress {
  task(label: string, total?: number): Task;
  warn(message: string): void;
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** `sha256:0123456789abcdef…` → `0123456789ab` (docker's short id). */
export function shortDigest(d: string): string {
  const i = d.indexOf(':');
  return i >= 0 ? d.slice(i + 1, i + 13) : d;
}

const NOOP: Task = { add() {}, done() {} };

export function createProgress(opts: { quiet?: boolean; stream?: ProgressStream; intervalMs?: number } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const live = !opts.quiet && stream.isTTY === true;
  const interval = opts.intervalMs ?? 100;
  return {
    warn(message: string) {
      if (!opts.quiet) stream.write(`${live ? '\r\x1b[2K' : ''}bundle: warning: ${message}\n`);
    },
    task(label: string, total?: number): Task {
      if (!live) return NOOP;
      let bytes = 0;
      let last = 0;
      const draw = (end?: string) => {
        const amount = total ? `${formatBytes(bytes)} / ${formatBytes(total)}` : formatBytes(bytes);
        stream.write(`\r\x1b[2K${label}  ${end ?? amount}${end ? '\n' : ''}`);
      };
      draw();
      return {
        add(n: number) {
          bytes += n;
          const now = Date.now();
          if (now - last >= interval) {
            last = now;
            draw();
          }
        },
        done(note?: string) {
          draw(note ?? `done ${formatBytes(bytes)}`);
        },
      };
    },
  };
}
