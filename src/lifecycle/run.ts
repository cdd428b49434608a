/**
 * run — runc's `run`: create + start, then (in the foreground) wait, forward
 * signals, delete, and exit with the container's status or 128 + signal.
 * The container process is our child (stage 2 was cloned with CLONE_PARENT),
 * so we reap it ourselves; libuv does not know its pid and leaves it to us.
 */
import { addon } from '../native/addon.js';
import { exitStatus, forwardSignals } from '../process/signals.js';

export { exitStatus, forwardSignals };
import { createContainer, type CreateOptions } from './create.js';
import { startCreated } from './start.js';
import { deleteContainer, deleteCreated } from './delete.js';
import type { Globals } from './context.js';
import { bundleMode } from '../vm/dispatch.js';
import { resolve } from 'node:path';
import { openBundle } from '../spec/open.js';
import { UsageError } from '../errors.js';
import { validateId } from './store.js';
// Loaded only for a terminal: node:net and node:tty cost ~5 % of a `run`.
import type { ConsoleReceiver } from '../process/console.js';
import type { TerminalRelay } from '../process/tty-relay.js';

export async function runContainer(g: Globals, id: string, o: CreateOptions & { detach?: boolean; keep?: boolean }): Promise<number> {
  const mode = bundleMode(g, o.bundle);
  if (mode.vm) return (await import('../vm/backend.js')).vmRun(g, id, o);
  let receiver: ConsoleReceiver | undefined;
  let relay: TerminalRelay | undefined;
  let consoleSize: { height: number; width: number } | undefined;
  validateId(id);
  // read and validated once: createContainer takes it as it is
  const opened = await openBundle(resolve(o.bundle ?? '.'), mode.read);
  if (!o.consoleSocket) {
    const proc = opened.config.process;
    if (proc?.terminal) {
      if (o.detach) throw new UsageError('process.terminal: cannot allocate a terminal for a detached container without --console-socket (config.md#process)');
      consoleSize = proc.consoleSize;
      receiver = await (await import('../process/console.js')).listenConsole();
    }
  }
  let created;
  // Installed while create waits for the init's READY (~0.3 ms of libuv
  // signal handles off the path); from then on a signal goes to the container.
  let stop = () => {};
  const onInitPid = o.detach ? undefined : (pid: number) => void (stop = forwardSignals(pid));
  try {
    created = await createContainer(g, id, receiver ? { ...o, consoleSocket: receiver.path, onInitPid } : { ...o, release: true, onInitPid }, opened);
  } catch (err) {
    stop();
    receiver?.close();
    throw err;
  }
  try {
    if (receiver) {
      const master = await receiver.master();
      receiver.close();
      relay = (await import('../process/tty-relay.js')).relayTerminal(master, { consoleSize });
    }
    startCreated(g, created);
  } catch (err) {
    stop();
    receiver?.close();
    await relay?.finish(0);
    await deleteContainer(g, id, true);
    throw err;
  }
  if (o.detach) return 0;
  const result = await addon().waitExit(created.pid);
  stop();
  await relay?.finish();
  if (!o.keep) await deleteCreated(g, created);
  return exitStatus(result);
}
