export default function Home() {
  return (
    <main>
      <h1>Exports</h1>
      <p>The asynchronous export service of the back office.</p>
      <ul>
        <li>
          REST: <code>/api/v1/exports/</code>, <code>/api/v1/exports/&#123;id&#125;/</code>,{" "}
          <code>/api/v1/exports/&#123;id&#125;/set_cancel/</code>, <code>/api/v1/products/</code> with{" "}
          <code>Authorization: Token &lt;key&gt;</code>
        </li>
        <li>
          tRPC: <code>/api/trpc</code>
        </li>
      </ul>
    </main>
  );
}
