"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useSession, useSignOut } from "./session";

const LINKS = [
  { href: "/exports", label: "Exports" },
  { href: "/templates", label: "Templates" },
  { href: "/products", label: "Products" },
  { href: "/orders", label: "Orders" },
  { href: "/webhooks", label: "Webhooks" },
  { href: "/docs", label: "API docs" },
];

export function SiteHeader() {
  const pathname = usePathname();
  const session = useSession();
  const signOut = useSignOut();
  const user = session.data?.user;
  return (
    <header className="site-header">
      <div className="site-header-inner">
        <Link href="/" className="brand">
          Exports
        </Link>
        <nav aria-label="Main" className="site-nav">
          <ul>
            {/* Users (issue 18): for superusers only (the page and its procedures refuse anyone else). */}
            {(user?.is_superuser ? [...LINKS, { href: "/users", label: "Users" }] : LINKS).map((link) => {
              const current = pathname === link.href || pathname.startsWith(`${link.href}/`);
              return (
                <li key={link.href}>
                  <Link href={link.href} aria-current={current ? "page" : undefined}>
                    {link.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="user-box">
          {user ? (
            <>
              <span>
                Signed in as <strong data-testid="current-user">{user.username}</strong>
                {user.is_superuser ? " (superuser)" : ""}
              </span>
              <Link href="/account" aria-current={pathname === "/account" ? "page" : undefined}>
                Account
              </Link>
              <button
                type="button"
                className="button small"
                onClick={() => signOut.mutate()}
                disabled={signOut.isPending}
              >
                Sign out
              </button>
            </>
          ) : session.data === null && pathname !== "/sign-in" ? (
            <Link href="/sign-in">Sign in</Link>
          ) : null}
        </div>
      </div>
    </header>
  );
}
