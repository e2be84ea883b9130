import type { Metadata } from "next";
import { Suspense } from "react";
import { ExportsView } from "~/components/exports/exports-view";
import { Loading } from "~/components/messages";

export const metadata: Metadata = { title: "Exports" };

export default function ExportsPage() {
  return (
    <Suspense fallback={<Loading />}>
      <ExportsView />
    </Suspense>
  );
}
