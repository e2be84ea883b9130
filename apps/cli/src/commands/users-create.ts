import { createUser } from "@exports/core";
import { requiredString } from "../args";
import { defineCommand } from "./types";

export const usersCreate = defineCommand({
  name: "users:create",
  summary: "Create a user and a first API token (printed once).",
  usage: "--username NAME [--superuser] [--password PW] [--email EMAIL]",
  options: {
    username: { type: "string", value: "NAME", description: "letters, digits and @/./+/-/_ (at most 150)" },
    superuser: { type: "boolean", description: "may see every export and cancel exports" },
    password: {
      type: "string",
      value: "PW",
      description: "for the dashboard's sign-in (at least 8 characters)",
    },
    email: { type: "string", value: "EMAIL", description: "where export emails go (when SMTP_URL is set)" },
  },
  parse: (values) => ({
    username: requiredString(values, "username", "NAME"),
    password: typeof values.password === "string" ? values.password : undefined,
    isSuperuser: values.superuser === true,
    email: typeof values.email === "string" ? values.email : undefined,
  }),
  // → {"id", "username", "is_superuser", "email", "token"}; a taken or invalid username is core's INVALID error.
  run: (ctx, input) => createUser(ctx.db(), input),
});
