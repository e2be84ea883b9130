import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { SiteHeader } from "~/components/site-header";
import { TRPCReactProvider } from "~/trpc/client";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Exports", template: "%s · Exports" },
  description: "Asynchronous exports of the back office",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <TRPCReactProvider>
          <SiteHeader />
          <main id="main" className="container">
            {children}
          </main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
