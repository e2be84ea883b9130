// Export emails (issue 16): the outbox's email reader, and SMTP delivery with retries.
export { type ClaimedEmail, claimEmails, EMAIL_LEASE_MS, recordEmail } from "./deliver";
export { fanOutEmails, MAIL_MAX_EVENT_AGE_MS } from "./fanout";
export {
  EmailDeliverer,
  type EmailDelivererOptions,
  type MailConfig,
  mailConfigFromEnv,
} from "./mailer";
export { type ExportEmail, exportEmail, exportPageUrl } from "./message";
