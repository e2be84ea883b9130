import type { Metadata } from "next";
import { ExportDetail } from "~/components/exports/export-detail";

export const metadata: Metadata = { title: "Export" };

export default async function ExportDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ExportDetail id={id} />;
}
