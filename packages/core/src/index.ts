// The Export domain: one service layer behind every door (REST, tRPC, worker, CLI).

export {
  type AccountDto,
  getAccount,
  type UpdateAccountInput,
  updateAccount,
  updateAccountInput,
  updateUserByUsername,
} from "./auth/account";
export type { Actor } from "./auth/actor";
export {
  API_KEY_NAME_MAX,
  type ApiKeyConfig,
  type ApiKeyDto,
  apiKeyConfigFromEnv,
  type CreateApiKeyInput,
  type CreatedApiKeyDto,
  createApiKey,
  createApiKeyInput,
  listApiKeys,
  revokeApiKey,
} from "./auth/api-keys";
export {
  type ChangePasswordInput,
  changePassword,
  changePasswordInput,
  WRONG_CURRENT_PASSWORD,
} from "./auth/password-change";
export {
  checkPasswordLink,
  LINK_INVALID,
  PASSWORD_LINK_TTL_HOURS,
  setPasswordInput,
  setPasswordPath,
  setPasswordWithLink,
} from "./auth/password-links";
export {
  type Access,
  assertAccess,
  type Grant,
  isScope,
  lacksScope,
  SCOPES,
  type Scope,
  SESSION_ONLY,
} from "./auth/scopes";
export {
  assertCsrfToken,
  authenticateSession,
  CSRF_INVALID,
  checkSession,
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
export { authenticateHeader, authenticateToken, TOKEN_EXPIRED, type TokenAuth } from "./auth/token-actor";
export { parseAuthorization } from "./auth/tokens";
export {
  countUsers,
  createTokenForUsername,
  createUser,
  verifyCredentials,
} from "./auth/users";
export {
  type AdminCreateUserInput,
  type AdminUpdateUserInput,
  type AdminUserResult,
  adminCreateUser,
  adminCreateUserInput,
  adminUpdateUser,
  adminUpdateUserInput,
  CANNOT_DEACTIVATE_SELF,
  CANNOT_DEMOTE_SELF,
  CANNOT_RESET_OWN_PASSWORD,
  getUser,
  listUsers,
  requireSuperuser,
  type SetPasswordLinkDto,
  setUserActive,
  type UserDto,
  userListQueryInput,
} from "./auth/users-admin";
export * from "./contract";
export { createDatabase, type Database, type Db } from "./db/client";
export * as schema from "./db/schema";
export { databaseUrlFromEnv } from "./db/urls";
export { type Env, EnvError, env, parseEnv } from "./env";
export * from "./errors";
export { auditFilterSpec, listAuditEvents, listExportEvents, recordDownload } from "./exports/audit";
export {
  closeExportsChangeFeed,
  EXPORTS_CHANGED_CHANNEL,
  ExportsChangeFeed,
  type ExportsChangeFeedOptions,
  exportsChanged,
  exportsChangeFeed,
} from "./exports/change-feed";
export { type ExportDownload, openDownload } from "./exports/download";
export { type FilterFile, parseFilterFile } from "./exports/filter-file";
export { DEFAULT_EXPORT_ORDERING, exportFilterSpec, exportOrderings } from "./exports/filters";
export { type ExportLimits, exportLimitsFromEnv } from "./exports/limits";
export {
  CATCH_UP_LIMIT,
  type ChangeSource,
  canSeeExport,
  closeExportChangeHub,
  type ExportChange,
  ExportChangeHub,
  type ExportChangeHubOptions,
  exportChangeHub,
  exportsChangedSince,
  type HubSubscriber,
} from "./exports/live";
export { openPartialDownload, partialFilename } from "./exports/partial";
export { findExportJsonForToken } from "./exports/record-reads";
export { type RetryDeps, retryExport } from "./exports/retry";
export {
  type CreatedExport,
  type CreateExportOptions,
  cancelExport,
  createExport,
  findExport,
  listExports,
  listExportsJson,
} from "./exports/service";
export { DEFAULT_LOOKUPS, type FilterField, paramsToRecord } from "./filters/grammar";
export { PAGINATION_PARAMS, type Page } from "./filters/pagination";
export { isUuid } from "./filters/values";
export { describeResource, describeResources } from "./resources/describe";
export { RESOURCES, resourceByKey, resourceByPath } from "./resources/registry";
export { getResource, listResource } from "./resources/service";
export type { Resource, ResourceField } from "./resources/types";
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
export {
  createTemplate,
  deleteTemplate,
  findTemplate,
  listTemplates,
  runTemplate,
  updateTemplate,
} from "./templates/service";
export { parseInput, zodFieldErrors } from "./validation";
export {
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhookDeliveries,
  listWebhooks,
  MAX_LISTED_DELIVERIES,
  newWebhookSecret,
  testWebhook,
  updateWebhook,
  type WebhookOptions,
} from "./webhooks/service";
