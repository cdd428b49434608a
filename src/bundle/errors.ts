/**
 * Bundle errors — `joey bundle create` (no runtime-spec section: this is image handling,
 * image-spec layer.md and image-layout.md).
 *
 * Every message starts with `bundle: ` so a user sees which step failed without a stack.
 */
import { RuntimeError, type ErrorDetails } from '../errors.js';

export class BundleError extends RuntimeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(`bundle: ${message}`, { code: 'EBUNDLE', ...details });
  }
}

/** Names can be 4 KiB of control characters: keep messages short and printable. */
export function showName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return printable.length > 200 ? `${printable.slice(0, 200)}…` : printable;
}

/** The one message shape for a hostile or broken archive member (issue: "refused with the member's name"). */
export function refuse(member: string, why: string): BundleError {
  return new BundleError(`refusing archive member \`${showName(member)}\`: ${why}`, { code: 'EBUNDLE_MEMBER' });
}
