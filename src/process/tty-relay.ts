/**
 * The user's terminal ⇄ the container's pty master, for `run` and `exec` with
 * `process.terminal` and no --console-socket (runc's tty.go: raw mode, copy
 * both ways, SIGWINCH → TIOCSWINSZ, restore on exit).
 * runtime-spec config.md#process (terminal, consoleSize). Kernel: pty(7),
 * termios(3) raw mode, ioctl_tty(2) TIOCSWINSZ
 *
 * The master is read through a tty.ReadStream (libuv does not reopen a master:
 * a reopened /dev/ptmx would be a new pty) and written through the same
 * handle, so a container that does not read its input never blocks us.
 * When the slave's last holder is gone the master reads EIO: that is the end
 * of the output, and we wait for it (bounded) before exiting so the last
 * lines are not lost.
 */
import * as tty from 'node:tty';
import { addon } from '../native/addon.js';

export interface TerminalRelay {
  /**
   * After the container process exited: wait up to `graceMs` for the rest of
   * its output, then restore the user's terminal and release the master.
   */
  finish(graceMs?: number): Promise<void>;
}

export interface RelayOptions {
  /** process.consoleSize: when set, it wins over the user's terminal size until the first SIGWINCH */
  consoleSize?: { height: number; width: number };
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

function userSize(out: NodeJS.WriteStream, input: NodeJS.ReadStream): { rows: number; cols: number } | undefined {
  for (const s of [out, input, process.stderr] as (NodeJS.WriteStream | NodeJS.ReadStream)[]) {
    const t = s as tty.WriteStream;
    if (t.isTTY && typeof t.getWindowSize === 'function') {
      const [cols, rows] = t.getWindowSize();
      if (rows > 0 && cols > 0) return { rows, cols };
    }
  }
  return undefined;
}

export function relayTerminal(master: number, opts: RelayOptions = {}): TerminalRelay {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const a = addon();
  const pty = new tty.ReadStream(master);

  let ended = false;
  let onEnd: () => void = () => {};
  const drained = new Promise<void>((res) => {
    onEnd = () => {
      ended = true;
      res();
    };
  });
  pty.on('data', (chunk: Buffer) => output.write(chunk));
  pty.on('end', onEnd);
  pty.on('close', onEnd);
  // EIO: every holder of the slave is gone.
  pty.on('error', onEnd);

  const resize = () => {
    const size = userSize(output, input);
    if (size && !ended) {
      try {
        a.setWinsize(master, size.rows, size.cols);
      } catch {
        /* the pty is gone */
      }
    }
  };
  if (!opts.consoleSize) resize();
  process.on('SIGWINCH', resize);

  const inTTY = (input as tty.ReadStream).isTTY === true;
  if (inTTY) (input as tty.ReadStream).setRawMode(true);
  const onInput = (chunk: Buffer) => {
    if (!ended) pty.write(chunk);
  };
  input.on('data', onInput);
  input.resume();

  let finished = false;
  return {
    async finish(graceMs = 2000) {
      if (finished) return;
      finished = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((res) => (timer = setTimeout(res, graceMs)))]);
      clearTimeout(timer);
      process.off('SIGWINCH', resize);
      input.off('data', onInput);
      if (inTTY) {
        try {
          (input as tty.ReadStream).setRawMode(false);
        } catch {
          /* the terminal is gone */
        }
      }
      input.pause();
      if (input === process.stdin) (input as tty.ReadStream).unref?.();
      // destroy() closes the handle and with it the master fd.
      pty.destroy();
      await new Promise<void>((res) => output.write('', () => res()));
    },
  };
}
