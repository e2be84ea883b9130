import type { ReactNode } from "react";

export const metadata = { title: "Exports", description: "Asynchronous exports of the back office" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", margin: "2rem", maxWidth: 960 }}>{children}</body>
    </html>
  );
}
