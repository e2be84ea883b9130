/**
 * The address of the socket a fetch Request came in on, kept beside it, never in a header a client could
 * write. The node adapter records it; auth/request.ts reads it.
 */
const addresses = new WeakMap<Request, string>();

export function rememberSocketAddress(req: Request, address: string | undefined): void {
  if (address) addresses.set(req, address);
}

/** The socket's address, or null for a Request that came from no socket (tests). */
export function socketAddressOf(req: Request): string | null {
  return addresses.get(req) ?? null;
}
