import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "~/components/messages";
import { TemplatesView } from "~/components/templates/templates-view";

export const metadata: Metadata = { title: "Templates" };

export default function TemplatesPage() {
  return (
    <Suspense fallback={<Loading />}>
      <TemplatesView />
    </Suspense>
  );
}
