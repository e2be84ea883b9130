import {
  type AdminUserResult,
  adminCreateUser,
  adminUpdateUser,
  env,
  getUser,
  listUsers,
  PASSWORD_LINK_TTL_HOURS,
  paramsToRecord,
  requireSuperuser,
} from "@exports/core";
import { readJsonObject } from "../http/body";
import { authed } from "../http/handler";
import { pageResponse } from "../http/pagination";
import { json } from "../http/respond";
import { COMMON_RESPONSES, jsonContent, ref } from "../openapi/components";
import { type Json, route } from "../route";

// Issue 18: users, managed by superusers (anyone else: 403 on every operation). Core's auth/users-admin.ts
// holds the rules; this door reads the request, prefixes the set-password link with the dashboard's address
// and documents the answers.
const LIST = "/api/v1/users/";
const ONE = "/api/v1/users/{id}/";

/** The core result with the link as a full URL: APP_URL when set, else the address the request came to. */
function withLinkUrl(result: AdminUserResult, url: URL): Json {
  const { set_password_link: link, ...user } = result;
  const base = (env().APP_URL ?? url.origin).replace(/\/+$/, "");
  return {
    ...user,
    set_password_link: link ? { url: `${base}${link.path}`, expires_at: link.expires_at } : null,
  };
}

const USER_PROPERTIES: Json = {
  id: { type: "string", format: "uuid" },
  username: { type: "string", maxLength: 150 },
  email: { type: "string", nullable: true, description: "Where export emails go; null: none." },
  email_notifications: { type: "boolean", description: "The user's own opt-out of export emails." },
  is_superuser: { type: "boolean", description: "Sees every export, manages users." },
  is_active: {
    type: "boolean",
    description: "false: cannot sign in, sessions ended, API keys refused, schedules stopped.",
  },
  has_password: {
    type: "boolean",
    description: "Whether a password is set (false: not yet, or reset to a set-password link).",
  },
  created_date: { type: "string", format: "date-time" },
  modified_date: { type: "string", format: "date-time" },
};

const components = () => ({
  parameters: {
    user_id_path: {
      name: "id",
      in: "path",
      required: true,
      description: "The user's id: a UUID (anything else is a 404).",
      schema: { type: "string", format: "uuid" },
    },
    user_is_active: {
      name: "is_active",
      in: "query",
      required: false,
      description: "`true`: active users only; `false`: deactivated ones only.",
      schema: { type: "string", enum: ["true", "false"] },
    },
    user_search: {
      name: "search",
      in: "query",
      required: false,
      description: "Part of the username, any case.",
      schema: { type: "string", maxLength: 150 },
    },
  },
  schemas: {
    User: {
      type: "object",
      description: "A user as a superuser sees it. Never a password or its hash.",
      properties: USER_PROPERTIES,
      required: Object.keys(USER_PROPERTIES),
      additionalProperties: false,
    },
    UserChanged: {
      type: "object",
      description:
        "A user just created or changed, with the one-time set-password link this call issued (else null). The link is shown only in this answer.",
      properties: {
        ...USER_PROPERTIES,
        set_password_link: {
          type: "object",
          nullable: true,
          properties: {
            url: {
              type: "string",
              description: "`<APP_URL or this server>/set-password?token=…`: sets the password once.",
            },
            expires_at: { type: "string", format: "date-time" },
          },
          required: ["url", "expires_at"],
          additionalProperties: false,
        },
      },
      required: [...Object.keys(USER_PROPERTIES), "set_password_link"],
      additionalProperties: false,
    },
    UserCreate: {
      type: "object",
      description: `A user to create. Give a \`password\`, or none and a one-time set-password link (valid ${PASSWORD_LINK_TTL_HOURS} hours) is issued.`,
      properties: {
        username: { type: "string", maxLength: 150, pattern: "^[\\w.@+-]+$" },
        email: { type: "string", nullable: true, maxLength: 254, description: '"" or null: none.' },
        is_superuser: { type: "boolean", default: false },
        password: { type: "string", minLength: 8, maxLength: 1024 },
        set_password_link: {
          type: "boolean",
          description: "Issue a set-password link: the default without a password; not with one.",
        },
      },
      required: ["username"],
      additionalProperties: false,
    },
    UserUpdate: {
      type: "object",
      description:
        "Fields to change; the rest stay. Nobody can deactivate or demote themselves, or reset their own password here (400).",
      properties: {
        email: { type: "string", nullable: true, maxLength: 254 },
        is_superuser: { type: "boolean" },
        is_active: {
          type: "boolean",
          description:
            "false: the user's sessions end and API keys are refused from the very next request; exports, files and templates are kept, schedules stop. true: keys work again.",
        },
        password: {
          type: "string",
          minLength: 8,
          maxLength: 1024,
          description: "A new password; the user's sessions end.",
        },
        reset_password: {
          type: "boolean",
          enum: [true],
          description:
            "Remove the password and issue a new set-password link (answered once, in `set_password_link`); the user's sessions end.",
        },
      },
      additionalProperties: false,
    },
  },
});

const op = (operationId: string, summary: string, extra: Json): Json => ({
  operationId,
  summary,
  tags: ["Users"],
  ...extra,
});
const body = (schema: string) => ({ required: true, content: jsonContent(ref("schemas", schema)) });
const idParam = [ref("parameters", "user_id_path")];
const forbidden = { "403": ref("responses", "PermissionDenied") };
const userResponse = (description: string, schema = "User") => ({
  description,
  content: jsonContent(ref("schemas", schema)),
});
const SUPERUSERS = " Superusers only (anyone else: 403).";

export const usersRoute = route(LIST, {
  GET: {
    access: "all-scopes",
    handle: authed(async ({ db, actor, url }) =>
      pageResponse(url, await listUsers(db, actor, paramsToRecord(url.searchParams))),
    ),
    openapi: () =>
      op("users_list", "List users", {
        description: `Users by username, paginated as the exports list; filter by \`is_active\`, search the username.${SUPERUSERS}`,
        parameters: [
          ref("parameters", "user_is_active"),
          ref("parameters", "user_search"),
          ref("parameters", "limit"),
          ref("parameters", "page"),
        ],
        responses: {
          "200": {
            description: "A page of users.",
            headers: { "X-Total-Count": ref("headers", "X-Total-Count"), Link: ref("headers", "Link") },
            content: jsonContent({ type: "array", items: ref("schemas", "User") }),
          },
          "400": ref("responses", "BadRequest"),
          ...COMMON_RESPONSES,
          ...forbidden,
        },
      }),
    components,
  },
  POST: {
    access: "all-scopes",
    handle: authed(async ({ db, actor, req, url }) => {
      requireSuperuser(actor);
      return json(withLinkUrl(await adminCreateUser(db, actor, await readJsonObject(req)), url), 201);
    }),
    openapi: () =>
      op("users_create", "Create a user", {
        description: `Creates a user with a password, or with a one-time set-password link shown only in this answer.${SUPERUSERS}`,
        requestBody: body("UserCreate"),
        responses: {
          "201": userResponse("The user, created.", "UserChanged"),
          "400": ref("responses", "BadRequest"),
          ...COMMON_RESPONSES,
          ...forbidden,
          "413": ref("responses", "PayloadTooLarge"),
          "415": ref("responses", "UnsupportedMediaType"),
        },
      }),
  },
});

export const userRoute = route(ONE, {
  GET: {
    access: "all-scopes",
    handle: authed<"id">(async ({ db, actor, params }) => json(await getUser(db, actor, params.id))),
    openapi: () =>
      op("users_retrieve", "Retrieve a user", {
        description: `One user.${SUPERUSERS}`,
        parameters: idParam,
        responses: {
          "200": userResponse("The user."),
          "404": ref("responses", "404"),
          ...COMMON_RESPONSES,
          ...forbidden,
        },
      }),
  },
  PATCH: {
    access: "all-scopes",
    handle: authed<"id">(async ({ db, actor, params, req, url }) => {
      requireSuperuser(actor);
      return json(withLinkUrl(await adminUpdateUser(db, actor, params.id, await readJsonObject(req)), url));
    }),
    openapi: () =>
      op("users_partial_update", "Change a user", {
        description: `Email, superuser flag, deactivate / reactivate, reset the password (a new one, or a new set-password link shown only in this answer). Every change is recorded with who made it.${SUPERUSERS}`,
        parameters: idParam,
        requestBody: body("UserUpdate"),
        responses: {
          "200": userResponse("The user, changed.", "UserChanged"),
          "400": ref("responses", "BadRequest"),
          "404": ref("responses", "404"),
          ...COMMON_RESPONSES,
          ...forbidden,
          "413": ref("responses", "PayloadTooLarge"),
          "415": ref("responses", "UnsupportedMediaType"),
        },
      }),
  },
});

export const userRoutes = [usersRoute, userRoute];
