/** What every lifecycle command gets from the CLI's global flags (runc's global options). */
export interface Globals {
  /** --root: where state lives (default /run/joey; $XDG_RUNTIME_DIR/joey when rootless) */
  root: string;
  debug: boolean;
  systemdCgroup: boolean;
  /** print the plan as it executes (joey trace / --debug) */
  trace?: (line: string) => void;
  /** warnings go to the log, never to the container's stdio */
  warn: (msg: string) => void;
  /** --vm, or the per-container annotation */
  vm: boolean;
  vmAccel?: string;
}
