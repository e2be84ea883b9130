import type { ReactNode } from "react";
import { RequireAuth } from "~/components/session";

/** Every dashboard page needs a signed-in user; anyone else is sent to the sign-in page. */
export default function DashboardLayout({ children }: { children: ReactNode }) {
  return <RequireAuth>{children}</RequireAuth>;
}
