/**
 * The address of the socket a fetch Request came in on, kept beside the Request (never in a header, which a
 * client could send itself). The node adapter records it; the tRPC mount (routes/trpc.ts) reads it and hands
 * it to clientInfo (auth/request.ts): the client's address unless NUM_PROXIES says otherwise.
 */
const addresses = new WeakMap<Request, string>();

export function rememberSocketAddress(req: Request, address: string | undefined): void {
  if (address) addresses.set(req, address);
}

/** The socket's address, or null for a Request that came from no socket (tests). */
export function socketAddressOf(req: Request): string | null {
  return addresses.get(req) ?? null;
}
