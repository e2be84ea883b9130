import { updateUserByUsername } from "@exports/core";
import { requiredString, UsageError } from "../args";
import { defineCommand } from "./types";

export const usersUpdate = defineCommand({
  name: "users:update",
  summary: 'Set a user\'s email address ("" removes it) or turn their export emails on or off.',
  usage: "--username NAME [--email EMAIL] [--notifications on|off]",
  options: {
    username: { type: "string", value: "NAME", description: "the user" },
    email: { type: "string", value: "EMAIL", description: 'where export emails go; "" for none' },
    notifications: { type: "string", value: "on|off", description: "export emails on or off" },
  },
  parse: (values) => {
    const notifications = values.notifications;
    if (notifications !== undefined && notifications !== "on" && notifications !== "off") {
      throw new UsageError(`--notifications must be on or off, got '${String(notifications)}'`);
    }
    if (values.email === undefined && notifications === undefined) {
      throw new UsageError("nothing to change: give --email EMAIL or --notifications on|off");
    }
    return {
      username: requiredString(values, "username", "NAME"),
      email: typeof values.email === "string" ? values.email : undefined,
      notifications: notifications === undefined ? undefined : notifications === "on",
    };
  },
  // → {"username", "email", "email_notifications"}; an invalid address is core's INVALID error.
  run: (ctx, input) =>
    updateUserByUsername(ctx.db(), input.username, {
      email: input.email,
      email_notifications: input.notifications,
    }),
});
