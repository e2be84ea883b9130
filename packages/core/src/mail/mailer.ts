import { randomBytes } from "node:crypto";
import os from "node:os";
import nodemailer from "nodemailer";
import type { Db } from "../db/client";
import type { Env } from "../env";
import { PollLoop } from "../loops/poll-loop";
import { type ClaimedEmail, claimEmails, recordEmail } from "./deliver";
import { fanOutEmails } from "./fanout";

export interface MailConfig {
  smtpUrl: string;
  from: string;
  appUrl: string;
  /** Seconds before each retry; after the last, the email is given up. */
  retrySchedule: number[];
}

/** The email settings, or null when SMTP_URL is unset (then nothing is mailed). */
export function mailConfigFromEnv(env: Env): MailConfig | null {
  if (!env.SMTP_URL || !env.MAIL_FROM || !env.APP_URL) return null;
  return {
    smtpUrl: env.SMTP_URL,
    from: env.MAIL_FROM,
    appUrl: env.APP_URL,
    retrySchedule: env.MAIL_RETRY_SCHEDULE,
  };
}

export interface EmailDelivererOptions {
  db: Db;
  config: MailConfig;
  pollMs?: number;
  /** Emails claimed per round, sent one after another. */
  batch?: number;
  log?: (line: string) => void;
}

/**
 * The worker's email loop, beside the webhook loop: turns outbox events into emails, then claims due emails
 * and sends them over SMTP (nodemailer), one at a time — mail is not urgent and the database's connections
 * are few (none is held while a message is sent). Any number of workers may run it against one database.
 */
export class EmailDeliverer {
  readonly id = `${os.hostname()}:${process.pid}:mail:${randomBytes(4).toString("hex")}`;
  private claims = 0;
  private readonly loop: PollLoop;
  // Timeouts well under the claim's lease (deliver.ts EMAIL_LEASE_MS).
  private readonly transport;

  constructor(private readonly options: EmailDelivererOptions) {
    this.transport = nodemailer.createTransport({
      url: options.config.smtpUrl,
      connectionTimeout: 20_000,
      greetingTimeout: 20_000,
      socketTimeout: 30_000,
    });
    this.loop = new PollLoop(
      () => this.tick(),
      options.pollMs ?? 1000,
      (err) => this.log(`error: ${err.message}`),
    );
  }

  start() {
    this.loop.start();
  }

  private log(line: string) {
    this.options.log?.(`[mail ${this.id}] ${line}`);
  }

  private async send(email: ClaimedEmail): Promise<string | null> {
    try {
      await this.transport.sendMail({
        from: this.options.config.from,
        to: email.recipient,
        subject: email.subject,
        text: email.body,
      });
      return null;
    } catch (err) {
      return (err as Error).message || String(err);
    }
  }

  private async tick(): Promise<boolean> {
    const { db, config } = this.options;
    const taken = await fanOutEmails(db, config.appUrl);
    // A fresh owner token per claim: a result is recorded only by the attempt that holds the email.
    const owner = `${this.id}:${++this.claims}`;
    const claimed = await claimEmails(db, owner, this.options.batch ?? 5);
    for (const email of claimed) {
      if (this.loop.stopped) break;
      const error = await this.send(email);
      const status = await recordEmail(db, owner, email, error, config.retrySchedule);
      if (status === "pending")
        this.log(`email ${email.id} attempt ${email.attempts}: ${error}; retried later`);
      if (status === "failed")
        this.log(`email ${email.id} given up after ${email.attempts} attempts: ${error}`);
    }
    return taken > 0 || claimed.length > 0;
  }

  /** Stops claiming; resolves once the email in hand is recorded. */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.transport.close();
  }
}
