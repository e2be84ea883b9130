import { setUserActive } from "@exports/core";
import { requiredString } from "../args";
import { defineCommand } from "./types";

const options = {
  username: { type: "string", value: "NAME", description: "the user" },
} as const;

export const usersDeactivate = defineCommand({
  name: "users:deactivate",
  summary: "Deactivate a user: no sign-in, tokens and sessions refused, schedules stopped (nothing deleted).",
  usage: "--username NAME",
  options,
  parse: (values) => ({ username: requiredString(values, "username", "NAME") }),
  run: (ctx, input) => setUserActive(ctx.db(), input.username, false),
});

export const usersActivate = defineCommand({
  name: "users:activate",
  summary: "Activate a deactivated user again.",
  usage: "--username NAME",
  options,
  parse: (values) => ({ username: requiredString(values, "username", "NAME") }),
  run: (ctx, input) => setUserActive(ctx.db(), input.username, true),
});
