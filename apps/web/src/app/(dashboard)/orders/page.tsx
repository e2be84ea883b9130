import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "~/components/messages";
import { ResourceView } from "~/components/resources/resource-view";

export const metadata: Metadata = { title: "Orders" };

export default function OrdersPage() {
  return (
    <Suspense fallback={<Loading />}>
      <ResourceView resourceKey="orders" title="Orders" />
    </Suspense>
  );
}
