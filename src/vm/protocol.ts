/**
 * The host end of the agent's control channel — docs/vm.md §6.5, §6.7
 * (the agent is native/init/agent.c; its header lists the messages)
 *
 * One line per message on the virtio-serial port `ctl`, which QEMU exposes as
 * the unix socket <state>/ctl.sock (one client at a time). Bodies follow
 * `<VERB> <len>\n` exactly. In relay mode the container's output arrives on
 * this same connection as `O <len>` / `E <len>` frames, always before `EXIT`,
 * so nothing is lost or reordered after the exit status.
 */
import * as net from 'node:net';
import { InitError, RuntimeError } from '../errors.js';

export interface Reply {
  verb: string;
  args: string[];
}

export class VmChannelError extends RuntimeError {
  constructor(message: string, code = 'EVMCHANNEL') {
    super(message, { code });
  }
}

const MAX_BODY = 4 * 1024 * 1024 + 64;

function pctDecode(s: string): string {
  return s.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export class Ctl {
  private buf: Buffer = Buffer.alloc(0);
  private queue: Reply[] = [];
  private waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private closed: Error | undefined;
  /** relay mode: container output frames, in arrival order */
  onOutput?: (stream: 'out' | 'err', data: Buffer) => void;

  private constructor(private sock: net.Socket) {
    sock.on('data', (d: Buffer) => this.feed(d));
    sock.on('error', (e) => this.fail(new VmChannelError(`control channel: ${e.message}`)));
    sock.on('close', () => this.fail(new VmChannelError('the VM closed its control channel')));
  }

  /** Connect to QEMU's listening socket, retrying while QEMU starts. */
  static async connect(path: string, timeoutMs: number, alive: () => boolean = () => true): Promise<Ctl> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        return new Ctl(sock);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline || !alive()) {
          throw new VmChannelError(`connect \`${path}\`: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 15));
      }
    }
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  private feed(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString('latin1');
      const [verb = '', ...args] = line.split(' ');
      if (verb === 'O' || verb === 'E') {
        const len = Number(args[0]);
        if (!Number.isSafeInteger(len) || len < 0 || len > MAX_BODY) return this.fail(new VmChannelError(`bad frame \`${line}\``));
        if (this.buf.length < nl + 1 + len) return;
        const body = this.buf.subarray(nl + 1, nl + 1 + len);
        this.buf = this.buf.subarray(nl + 1 + len);
        this.onOutput?.(verb === 'O' ? 'out' : 'err', body);
        continue;
      }
      this.buf = this.buf.subarray(nl + 1);
      const r = { verb, args };
      const w = this.waiters.shift();
      if (w) w.resolve(r);
      else this.queue.push(r);
    }
  }

  send(line: string, body?: Buffer): void {
    if (this.closed) throw this.closed;
    this.sock.write(body ? Buffer.concat([Buffer.from(`${line} ${body.length}\n`), body]) : `${line}\n`);
  }

  /** The next reply (not an output frame), or a timeout. */
  next(timeoutMs: number, what: string): Promise<Reply> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (r: Reply) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = timeoutMs > 0 ? setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new VmChannelError(`the VM did not answer ${what} within ${timeoutMs / 1000}s`, 'ETIMEDOUT'));
      }, timeoutMs) : undefined;
      this.waiters.push(w);
    });
  }

  /** Send and expect one of `ok`; ERROR becomes an InitError. */
  async request(line: string, ok: string[], timeoutMs: number, body?: Buffer, describe?: (index: number) => string): Promise<Reply> {
    this.send(line, body);
    const r = await this.next(timeoutMs, line.split(' ')[0]!);
    if (r.verb === 'ERROR') throw agentError(r, describe);
    if (!ok.includes(r.verb)) throw new VmChannelError(`the VM answered \`${r.verb}\` to \`${line.split(' ')[0]}\``);
    return r;
  }

  close(): void {
    this.closed ??= new VmChannelError('closed');
    this.sock.destroy();
  }
}

/** `ERROR <op> <errno> <msg%>` → the InitError the host path would raise. */
export function agentError(r: Reply, describe?: (index: number) => string): InitError {
  const index = Number(r.args[0]);
  const errnum = Number(r.args[1]);
  const msg = pctDecode(r.args.slice(2).join(' '));
  const where = index >= 0 && describe ? ` (${describe(index)})` : '';
  return new InitError(`vm: ${msg}${errnum ? ` (errno ${errnum})` : ''}${where}`, index, { code: 'EINIT' });
}
