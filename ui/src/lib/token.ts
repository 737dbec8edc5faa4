// What the live check says about its bearer token, from what the backend holds for the
// verification URL's service (a TokenStatus: whether a token is in memory or in the OS keyring,
// never the token itself). Pure functions; Live.svelte renders their strings as text.
import type { ErrorKind, TokenStatus } from "../ipc/bindings";

export interface TokenHints {
  /** Placeholder of the token field. */
  placeholder: string;
  /** "A token for <origin> is stored in the OS keyring." when one is. */
  stored: string | null;
  /** Why the OS keyring cannot be used for this service right now, when it cannot (and that
   *  memory still works). */
  keyring: string | null;
  /** Whether the check can run with the token field left empty. */
  canReuse: boolean;
}

/** The token field's texts for `status` (`null`: no verification URL yet, or not one). */
export function tokenHints(status: TokenStatus | null): TokenHints {
  if (!status) {
    return { placeholder: "token issued by the service", stored: null, keyring: null, canReuse: false };
  }
  const placeholder = status.in_memory
    ? "held in memory for this session (leave empty to reuse)"
    : status.stored
      ? "stored in the OS keyring (leave empty to use it)"
      : "token issued by the service";
  return {
    placeholder,
    stored: status.stored ? `A token for ${status.origin} is stored in the OS keyring.` : null,
    keyring:
      status.keyring_error === null
        ? null
        : `OS keyring: ${status.keyring_error}. A token you enter is still held in memory for this session.`,
    canReuse: status.in_memory || status.stored,
  };
}

/** The heading of an error banner. */
export function errorTitle(kind: ErrorKind): string {
  switch (kind) {
    case "evidence":
      return "Could not read the evidence";
    case "live":
      return "Live check failed";
    case "keyring":
      return "OS keyring";
    default:
      return "Error";
  }
}

/** Keeps only the answer to the latest of overlapping requests (the URL changes as it is typed). */
export class Latest {
  private n = 0;

  /** Call before asking; pass the number to `isLatest` when the answer comes. */
  begin(): number {
    this.n += 1;
    return this.n;
  }

  isLatest(n: number): boolean {
    return n === this.n;
  }
}
