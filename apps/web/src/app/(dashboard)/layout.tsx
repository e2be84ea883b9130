import type { ReactNode } from "react";
import { LiveUpdatesProvider } from "~/components/exports/live-updates";
import { RequireAuth } from "~/components/session";

/**
 * Every dashboard page needs a signed-in user; anyone else is sent to the sign-in page. The live exports
 * stream stays open across the dashboard's pages.
 */
export default function DashboardLayout({ children }: { children: ReactNode }) {
  return (
    <RequireAuth>
      <LiveUpdatesProvider>{children}</LiveUpdatesProvider>
    </RequireAuth>
  );
}
