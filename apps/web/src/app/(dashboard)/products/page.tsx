import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "~/components/messages";
import { ResourceView } from "~/components/resources/resource-view";

export const metadata: Metadata = { title: "Products" };

export default function ProductsPage() {
  return (
    <Suspense fallback={<Loading />}>
      <ResourceView resourceKey="products" title="Products" />
    </Suspense>
  );
}
