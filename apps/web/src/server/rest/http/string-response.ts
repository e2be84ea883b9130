/**
 * A Response whose body is a string known up front (every JSON answer), which the node adapter writes in one
 * `end()`: a Response built from a string wraps it in a web stream first (~50 µs of a retrieve's ~1 ms).
 * Its headers wait in a plain map until something reads `headers`: building and filling a fetch Headers (and
 * the adapter iterating it) cost ~15 µs per answer, more than a retrieve's own code. The door sets them with
 * setHeader/appendHeader and the adapter writes them from pendingHeaders(). Through the Response API it behaves
 * as any Response.
 */
export class StringResponse extends Response {
  readonly bodyText: string;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  /** Headers not yet in the Response's own Headers, by lower-case name; null once they are. */
  #pending: Map<string, string> | null = new Map();

  constructor(text: string, init: { status?: number; headers?: HeadersInit }) {
    super(null, { status: init.status ?? 200 });
    this.bodyText = text;
    const given = init.headers;
    if (given === undefined) return;
    const entries =
      given instanceof Headers || Array.isArray(given)
        ? given
        : Object.entries(given as Record<string, string>);
    for (const [name, value] of entries as Iterable<[string, string]>) this.appendHeader(name, value);
  }

  override get headers(): Headers {
    const headers = super.headers;
    if (this.#pending !== null) {
      for (const [name, value] of this.#pending) headers.append(name, value);
      this.#pending = null;
    }
    return headers;
  }

  /** As `headers.set`. */
  setHeader(name: string, value: string): void {
    if (this.#pending === null) super.headers.set(name, value);
    else this.#pending.set(name.toLowerCase(), value);
  }

  /** As `headers.append` (one field, values joined by ", "). */
  appendHeader(name: string, value: string): void {
    if (this.#pending === null) {
      super.headers.append(name, value);
      return;
    }
    const key = name.toLowerCase();
    // Set-Cookie is never joined into one field: Headers keeps each.
    if (key === "set-cookie") {
      this.headers.append(name, value);
      return;
    }
    const had = this.#pending.get(key);
    this.#pending.set(key, had === undefined ? value : `${had}, ${value}`);
  }

  /** The headers not yet in `headers` (lower-case names; one value each), or null once they are there. */
  pendingHeaders(): ReadonlyMap<string, string> | null {
    return this.#pending;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    this.#stream ??= new Response(this.bodyText).body;
    return this.#stream;
  }

  override async text(): Promise<string> {
    return this.bodyText;
  }

  override async json(): Promise<unknown> {
    return JSON.parse(this.bodyText);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = new TextEncoder().encode(this.bodyText);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}
