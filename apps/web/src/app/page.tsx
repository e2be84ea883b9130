import Link from "next/link";

const PAGES = [
  {
    href: "/exports",
    title: "Exports",
    text: "Every export you may see, live progress, downloads and cancelling.",
  },
  {
    href: "/products",
    title: "Products",
    text: "The product list with its filters; export exactly what you see.",
  },
  { href: "/orders", title: "Orders", text: "The order list with its filters; export exactly what you see." },
  { href: "/docs", title: "API docs", text: "Every REST operation we serve, from the OpenAPI document." },
];

export default function Home() {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Exports</h1>
          <p>The asynchronous export service of the back office.</p>
        </div>
      </div>
      <ul className="tiles">
        {PAGES.map((p) => (
          <li key={p.href}>
            <Link href={p.href} className="card">
              <strong>{p.title}</strong>
              <span className="muted">{p.text}</span>
            </Link>
          </li>
        ))}
      </ul>
      <section className="card" aria-labelledby="api-heading">
        <h2 id="api-heading">For programs</h2>
        <p>
          REST: <code>/api/v1/exports/</code>, <code>/api/v1/exports/&#123;id&#125;/</code>,{" "}
          <code>/api/v1/exports/&#123;id&#125;/set_cancel/</code>, <code>/api/v1/products/</code>,{" "}
          <code>/api/v1/orders/</code> with <code>Authorization: Token &lt;key&gt;</code>. tRPC:{" "}
          <code>/api/trpc</code>. The whole contract: <Link href="/docs">API docs</Link> (
          <code>/api/v1/openapi.json</code>).
        </p>
      </section>
    </>
  );
}
