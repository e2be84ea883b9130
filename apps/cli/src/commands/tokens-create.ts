import { createTokenForUsername } from "@exports/core";
import { requiredString } from "../args";
import { defineCommand } from "./types";

export const tokensCreate = defineCommand({
  name: "tokens:create",
  summary: "Issue another API token for an existing user (printed once).",
  usage: "--username NAME",
  options: {
    username: { type: "string", value: "NAME", description: "the user the token authenticates as" },
  },
  parse: (values) => ({ username: requiredString(values, "username", "NAME") }),
  // → {"username", "token"}; an unknown user is core's NOT_FOUND error.
  run: (ctx, input) => createTokenForUsername(ctx.db(), input.username),
});
