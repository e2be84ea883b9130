"use client";

import { useQuery } from "@tanstack/react-query";
import { Loading } from "../messages";
import { Markdown } from "./markdown";
import { anchor, type OpenApiDocument, operations } from "./openapi";
import { OperationView } from "./operation";
import { SchemaView } from "./schema";

const OPENAPI_URL = "/api/v1/openapi.json";

/** The API docs page: the OpenAPI document we serve, rendered on the page (no external scripts or CDN). */
export function ApiDocs() {
  const query = useQuery({
    queryKey: ["openapi-document"],
    queryFn: async (): Promise<OpenApiDocument> => {
      const res = await fetch(OPENAPI_URL, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`The API description answered ${res.status}.`);
      return (await res.json()) as OpenApiDocument;
    },
    staleTime: 60_000,
  });

  return (
    <>
      <div className="page-header">
        <div>
          <h1>API docs</h1>
          <p>
            Every REST operation we serve, from <a href={OPENAPI_URL}>{OPENAPI_URL}</a>.
          </p>
        </div>
      </div>
      {query.isPending ? <Loading label="Loading the API description…" /> : null}
      {query.isError ? (
        <div className="message error" role="alert">
          <p>
            The API description could not be loaded. Try again in a moment, or open{" "}
            <a href={OPENAPI_URL}>{OPENAPI_URL}</a> directly.
          </p>
        </div>
      ) : null}
      {query.data ? <Document doc={query.data} /> : null}
    </>
  );
}

function Document({ doc }: { doc: OpenApiDocument }) {
  const entries = operations(doc);
  const tagOrder = [...(doc.tags ?? []).map((t) => t.name)];
  for (const e of entries)
    for (const t of e.op.tags ?? ["Other"]) if (!tagOrder.includes(t)) tagOrder.push(t);
  const groups = tagOrder
    .map((tag) => ({
      tag,
      description: doc.tags?.find((t) => t.name === tag)?.description,
      entries: entries.filter((e) => (e.op.tags?.[0] ?? "Other") === tag),
    }))
    .filter((g) => g.entries.length > 0);
  const schemes = Object.entries(doc.components?.securitySchemes ?? {});
  const schemas = Object.entries(doc.components?.schemas ?? {});

  return (
    <>
      <section className="card" aria-labelledby="docs-overview">
        <h2 id="docs-overview" style={{ marginTop: 0 }}>
          {doc.info?.title ?? "API"} <span className="muted">version {doc.info?.version ?? "?"}</span>
        </h2>
        <Markdown text={doc.info?.description} />
        {schemes.length > 0 ? (
          <>
            <h3>Authentication</h3>
            <ul>
              {schemes.map(([name, s]) => (
                <li key={name}>
                  <strong>{name}</strong>: {s.type}
                  {s.scheme ? ` (${s.scheme})` : ""}
                  {s.name ? ` — ${s.in ?? "header"} ${s.name}` : ""}
                  {s.description ? `. ${s.description}` : ""}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <h3>Operations</h3>
        <ul className="docs-toc">
          {entries.map((e) => (
            <li key={e.id}>
              <a href={`#${e.id}`}>
                <code>
                  {e.method.toUpperCase()} {e.path}
                </code>
              </a>
              {e.op.summary ? ` — ${e.op.summary}` : ""}
            </li>
          ))}
        </ul>
      </section>

      {groups.map((g) => (
        <section key={g.tag} aria-labelledby={`tag-${anchor(g.tag)}`}>
          <h2 id={`tag-${anchor(g.tag)}`}>{g.tag}</h2>
          <Markdown text={g.description} />
          {g.entries.map((e) => (
            <OperationView key={e.id} doc={doc} entry={e} />
          ))}
        </section>
      ))}

      {schemas.length > 0 ? (
        <section aria-labelledby="schemas-title">
          <h2 id="schemas-title">Schemas</h2>
          {schemas.map(([name, schema]) => (
            <SchemaView key={name} name={name} schema={schema} />
          ))}
        </section>
      ) : null}
    </>
  );
}
