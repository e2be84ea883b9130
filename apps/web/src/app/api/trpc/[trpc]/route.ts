import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getDb } from "~/server/db";
import { getStorage } from "~/server/storage";
import { createContextFromHeaders } from "~/server/trpc/init";
import { appRouter } from "~/server/trpc/root";

export const dynamic = "force-dynamic";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContextFromHeaders(getDb(), getStorage(), req.headers),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR")
        console.error(`[trpc] ${path ?? "?"}:`, error.cause ?? error);
    },
  });

export { handler as GET, handler as POST };
