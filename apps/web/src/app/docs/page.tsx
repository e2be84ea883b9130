import type { Metadata } from "next";
import { ApiDocs } from "~/components/docs/api-docs";

export const metadata: Metadata = { title: "API docs" };

export default function DocsPage() {
  return <ApiDocs />;
}
