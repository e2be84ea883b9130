// The Export domain: one service layer behind every door (REST, tRPC, worker, CLI).
export type { Actor } from "./auth/actor";
export {
  assertCsrfToken,
  authenticateSession,
  CSRF_INVALID,
  csrfTokenMatches,
  INVALID_CREDENTIALS,
  isSessionSecret,
  SESSION_EXPIRED,
  type Session,
  type SessionConfig,
  type SignInInput,
  type SignInRequest,
  type SignInResult,
  sessionConfigFromEnv,
  signIn,
  signInInput,
  signOut,
} from "./auth/sessions";
export { type ThrottleConfig, tooManySignInsMessage } from "./auth/throttle";
export { parseAuthorization } from "./auth/tokens";
export {
  authenticateHeader,
  countUsers,
  createTokenForUsername,
  createUser,
  verifyCredentials,
} from "./auth/users";
export { createDatabase, type Database, type Db } from "./db/client";
export * as schema from "./db/schema";
export { EXPORT_FORMATS, EXPORT_STATUSES, type ExportFormat, type ExportStatus } from "./db/schema";
export { databaseUrlFromEnv } from "./db/urls";
export { type Env, EnvError, env, parseEnv } from "./env";
export * from "./errors";
export {
  closeExportsChangeFeed,
  EXPORTS_CHANGED_CHANNEL,
  ExportsChangeFeed,
  type ExportsChangeFeedOptions,
  exportsChanged,
  exportsChangeFeed,
} from "./exports/change-feed";
export { type ExportDownload, openDownload } from "./exports/download";
export {
  type FilterFile,
  MAX_FILTER_FILE_BYTES,
  parseFilterFile,
} from "./exports/filter-file";
export { DEFAULT_EXPORT_ORDERING, exportFilterSpec, exportOrderings } from "./exports/filters";
export * from "./exports/schemas";
export {
  type CreateExportOptions,
  cancelExport,
  createExport,
  createExportWithOutcome,
  getExport,
  listExports,
} from "./exports/service";
export { ACTIVE_STATUSES, isActive, RUNNABLE_STATUSES, TERMINAL_STATUSES } from "./exports/states";
export {
  DEFAULT_LOOKUPS,
  type FilterField,
  type FilterKind,
  type Lookup,
  paramsToRecord,
} from "./filters/grammar";
export { DEFAULT_LIMIT, MAX_LIMIT, PAGINATION_PARAMS, type Page } from "./filters/pagination";
export { isUuid } from "./filters/values";
export {
  describeResource,
  describeResources,
  type FieldDescription,
  type FilterDescription,
  type ResourceDescription,
} from "./resources/describe";
export { RESOURCES, resourceByKey, resourceByPath } from "./resources/registry";
export { getResource, listResource } from "./resources/service";
export { LANGUAGES, type Language, type Resource, type ResourceField } from "./resources/types";
export {
  bindStorage,
  keys,
  LocalStorage,
  type PendingFile,
  S3Storage,
  type Storage,
  StorageBindingError,
  StorageUnavailableError,
  storageFromEnv,
  storageLocationOf,
} from "./storage";
export { parseInput, zodFieldErrors } from "./validation";
