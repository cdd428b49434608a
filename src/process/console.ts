/**
 * The runtime's own console socket — runtime-spec config.md#process
 * (terminal, consoleSize); runc's `run`/`exec` with a terminal and no
 * --console-socket. Kernel: unix(7) SCM_RIGHTS, pty(7)
 *
 * The pty is always made by the init inside the container's devpts (the
 * console-setup op, native/init/console.c) and its master always travels over
 * a console socket as one sendmsg with one SCM_RIGHTS fd. When the user gave
 * no socket and joey itself is the terminal's owner (`run` or `exec` in the
 * foreground), joey listens on a private socket in a fresh 0700 directory and
 * is its own receiver: the sync protocol stays the same for both cases.
 *
 * spawnInit is synchronous, so the init connects and sends before the event
 * loop has accepted: the connection waits in the backlog and the message in
 * the socket buffer. The server is created with pauseOnConnect so libuv never
 * reads the message (a stream read would drop the SCM_RIGHTS fd); the addon's
 * recvmsg takes it from the accepted socket's fd.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addon } from '../native/addon.js';
import { RuntimeError } from '../errors.js';

export interface ConsoleReceiver {
  /** absolute path of the socket, for CreateOptions.consoleSocket / ExecOptions.consoleSocket */
  path: string;
  /** the pty master, once the init has sent it; rejects after `timeoutMs` */
  master(timeoutMs?: number): Promise<number>;
  /** stop listening and remove the private directory (idempotent) */
  close(): void;
}

/** Listen on <tmp>/joey-console-XXXXXX/console.sock (the directory is 0700: only root may connect). */
export async function listenConsole(): Promise<ConsoleReceiver> {
  const dir = fs.mkdtempSync(join(tmpdir(), 'joey-console-'));
  const path = join(dir, 'console.sock');
  let resolveFd: (fd: number) => void = () => {};
  let rejectFd: (err: Error) => void = () => {};
  const got = new Promise<number>((res, rej) => {
    resolveFd = res;
    rejectFd = rej;
  });
  got.catch(() => {});
  const server = net.createServer({ pauseOnConnect: true }, (sock) => {
    const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    try {
      if (fd < 0) throw new RuntimeError('console socket: no fd for the accepted connection');
      const msg = addon().recvmsg(fd, 64, 5000);
      if (msg.fds.length !== 1) {
        for (const f of msg.fds) addon().close(f);
        throw new RuntimeError(`console socket: expected one pty master, got ${msg.fds.length} fds`);
      }
      resolveFd(msg.fds[0]!);
    } catch (err) {
      rejectFd(err as Error);
    } finally {
      sock.destroy();
    }
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(path, () => {
        server.off('error', rej);
        res();
      });
    });
  } catch (err) {
    close();
    throw err;
  }
  return {
    path,
    master: (timeoutMs = 10_000) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<number>((_, rej) => {
        timer = setTimeout(() => rej(new RuntimeError(`the init sent no pty master within ${timeoutMs / 1000}s`)), timeoutMs);
      });
      return Promise.race([got, timeout]).finally(() => clearTimeout(timer));
    },
    close,
  };
}
