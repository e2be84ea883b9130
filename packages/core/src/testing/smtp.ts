import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A message as the test SMTP server received it over SMTP. */
export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (headers and body) as sent. */
  raw: string;
  /** Header lookup on the raw message (first occurrence, unfolded), lower-case names. */
  header(name: string): string | undefined;
  /** The body after the blank line, its transfer encoding (quoted-printable or base64) undone. */
  body: string;
}

export interface SmtpServerProcess {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Answers given to the refused attempts. */
  refused: number;
  close(): Promise<void>;
}

export interface SmtpServerOptions {
  /** The first N messages are refused with a temporary 451 at RCPT TO, then messages are accepted. */
  refuseFirst?: number;
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? "" : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && !headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const encoding = headers.get("content-transfer-encoding")?.toLowerCase();
  const text =
    encoding === "quoted-printable"
      ? Buffer.from(
          body
            .replace(/=\r\n/g, "")
            .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          "latin1",
        ).toString("utf8")
      : encoding === "base64"
        ? Buffer.from(body, "base64").toString("utf8")
        : body;
  return {
    from,
    to,
    raw,
    body: text.replace(/\r\n/g, "\n"),
    header: (name) => headers.get(name.toLowerCase()),
  };
}

/**
 * A real SMTP server (the `smtp-server` package) on loopback for tests: plain SMTP, any credentials accepted,
 * every message kept in `received`.
 */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<SmtpServerProcess> {
  let refusals = options.refuseFirst ?? 0;
  const state = { received: [] as ReceivedMail[], refused: 0 };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    allowInsecureAuth: true,
    onAuth(_auth, _session, callback) {
      callback(null, { user: "test" });
    },
    onRcptTo(_address, _session, callback) {
      if (refusals > 0) {
        refusals--;
        state.refused++;
        const err = Object.assign(new Error("Try again later (test refusal)"), { responseCode: 451 });
        return callback(err);
      }
      callback();
      return undefined;
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        const to = session.envelope.rcptTo.map((r) => r.address);
        state.received.push(parse(Buffer.concat(chunks).toString("utf8"), from, to));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.on("error", () => {});
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    port,
    url: `smtp://test:secret@127.0.0.1:${port}`,
    received: state.received,
    get refused() {
      return state.refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
