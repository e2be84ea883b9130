"use client";

import { useQuery } from "@tanstack/react-query";
import { Fragment, type ReactNode } from "react";
import { Loading } from "../messages";
import { Markdown } from "./markdown";

/** The parts of an OpenAPI 3.x document this page reads; everything else is ignored. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  description?: string;
  default?: unknown;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  readOnly?: boolean;
  example?: unknown;
}
interface Parameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}
interface MediaType {
  schema?: Schema;
}
interface Response {
  $ref?: string;
  description?: string;
  content?: Record<string, MediaType>;
  headers?: Record<string, { description?: string; schema?: Schema }>;
}
interface Operation {
  summary?: string;
  description?: string;
  operationId?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: {
    $ref?: string;
    description?: string;
    required?: boolean;
    content?: Record<string, MediaType>;
  };
  responses?: Record<string, Response>;
  security?: Array<Record<string, string[]>>;
  deprecated?: boolean;
}
interface OpenApiDocument {
  openapi?: string;
  info?: { title?: string; version?: string; description?: string };
  servers?: Array<{ url: string; description?: string }>;
  paths?: Record<string, Record<string, unknown>>;
  components?: {
    schemas?: Record<string, Schema>;
    securitySchemes?: Record<
      string,
      { type?: string; scheme?: string; name?: string; in?: string; description?: string }
    >;
  };
  tags?: Array<{ name: string; description?: string }>;
}

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;
const OPENAPI_URL = "/api/v1/openapi.json";

/** Follows a local `$ref` (`#/components/parameters/id_path`) inside the document. */
function resolve<T extends { $ref?: string }>(
  doc: OpenApiDocument,
  value: T | undefined,
  depth = 0,
): T | undefined {
  if (!value?.$ref || depth > 10) return value;
  if (!value.$ref.startsWith("#/")) return value;
  let node: unknown = doc;
  for (const raw of value.$ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  }
  return resolve(doc, node as T | undefined, depth + 1);
}

const refName = (ref: string) => ref.split("/").at(-1) ?? ref;
const anchor = (text: string) => text.replace(/[^A-Za-z0-9_-]+/g, "-");

/** A schema in a few words: `Export`, `array of Export`, `string (date-time) or null`, `one of: a, b`. */
function SchemaType({ schema }: { schema: Schema | undefined }): ReactNode {
  if (!schema) return <span className="muted">—</span>;
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return schema.$ref.startsWith("#/components/schemas/") ? (
      <a href={`#schema-${anchor(name)}`}>{name}</a>
    ) : (
      name
    );
  }
  const union = schema.oneOf ?? schema.anyOf ?? schema.allOf;
  if (union) {
    const word = schema.allOf ? " and " : " or ";
    return (
      <>
        {union.map((s, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the schemas of a union have no identity of their own.
          <Fragment key={i}>
            {i > 0 ? word : null}
            <SchemaType schema={s} />
          </Fragment>
        ))}
      </>
    );
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const nullable = schema.nullable === true || types.includes("null");
  const main = types.filter((t) => t !== "null");
  let body: ReactNode;
  if (main[0] === "array") {
    body = (
      <>
        array of <SchemaType schema={schema.items} />
      </>
    );
  } else if (
    main[0] === "object" &&
    schema.additionalProperties &&
    typeof schema.additionalProperties === "object"
  ) {
    body = (
      <>
        object of <SchemaType schema={schema.additionalProperties} />
      </>
    );
  } else {
    body = `${main.join(" | ") || (schema.properties ? "object" : "any")}${schema.format ? ` (${schema.format})` : ""}`;
  }
  return (
    <>
      {body}
      {schema.enum ? `: ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}` : null}
      {nullable ? " or null" : null}
    </>
  );
}

function constraints(schema: Schema | undefined): string {
  if (!schema) return "";
  const out: string[] = [];
  if (schema.readOnly) out.push("read-only");
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  if (schema.minLength !== undefined) out.push(`min length ${schema.minLength}`);
  if (schema.maxLength !== undefined) out.push(`max length ${schema.maxLength}`);
  if (schema.minimum !== undefined) out.push(`minimum ${schema.minimum}`);
  if (schema.maximum !== undefined) out.push(`maximum ${schema.maximum}`);
  return out.join(", ");
}

interface Entry {
  path: string;
  method: string;
  op: Operation;
  id: string;
}

function operations(doc: OpenApiDocument): Entry[] {
  const out: Entry[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (op) out.push({ path, method, op, id: `op-${method}-${anchor(path)}` });
    }
  }
  return out;
}

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
            <SchemaView key={name} doc={doc} name={name} schema={schema} />
          ))}
        </section>
      ) : null}
    </>
  );
}

function OperationView({ doc, entry }: { doc: OpenApiDocument; entry: Entry }) {
  const { op, method, path } = entry;
  const params = (op.parameters ?? []).map((p) => resolve(doc, p)).filter((p): p is Parameter => Boolean(p));
  const body = resolve(doc, op.requestBody);
  const responses = Object.entries(op.responses ?? {});
  return (
    <details className="operation" id={entry.id} open>
      <summary>
        <span className={`method method-${method}`}>{method.toUpperCase()}</span>
        <code className="op-path">{path}</code>
        <span>{op.summary}</span>
        {op.deprecated ? <span className="badge badge-cancelled">deprecated</span> : null}
      </summary>
      <div className="operation-body">
        <Markdown text={op.description} />
        <h3>Parameters</h3>
        {params.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <div className="table-scroll">
            <table className="docs-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">In</th>
                  <th scope="col">Type</th>
                  <th scope="col">Required</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {params.map((p) => (
                  <tr key={`${p.in}-${p.name}`}>
                    <td>
                      <code>{p.name}</code>
                    </td>
                    <td>{p.in}</td>
                    <td>
                      <SchemaType schema={p.schema} />
                    </td>
                    <td>{p.required ? "yes" : "no"}</td>
                    <td>
                      {p.description ?? p.schema?.description ?? ""}
                      {constraints(p.schema) ? (
                        <span className="muted"> ({constraints(p.schema)})</span>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {body ? (
          <>
            <h3>Request body{body.required ? " (required)" : ""}</h3>
            <Markdown text={body.description} />
            <ul>
              {Object.entries(body.content ?? {}).map(([type, media]) => (
                <li key={type}>
                  <code>{type}</code>: <SchemaType schema={media.schema} />
                  <InlineProperties doc={doc} schema={media.schema} />
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <h3>Responses</h3>
        <div className="table-scroll">
          <table className="docs-table">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Description</th>
                <th scope="col">Body</th>
              </tr>
            </thead>
            <tbody>
              {responses.map(([status, raw]) => {
                const r = resolve(doc, raw);
                const content = Object.entries(r?.content ?? {});
                return (
                  <tr key={status}>
                    <td>
                      <code>{status}</code>
                    </td>
                    <td>
                      {r?.description}
                      {r?.headers ? (
                        <span className="muted"> Headers: {Object.keys(r.headers).join(", ")}.</span>
                      ) : null}
                    </td>
                    <td>
                      {content.length === 0
                        ? "—"
                        : content.map(([type, media]) => (
                            <div key={type}>
                              <code>{type}</code>: <SchemaType schema={media.schema} />
                            </div>
                          ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>
    </details>
  );
}

/** An inline object schema (a request body without a named schema): its properties, listed. */
function InlineProperties({ doc, schema }: { doc: OpenApiDocument; schema: Schema | undefined }) {
  if (!schema || schema.$ref || !schema.properties) return null;
  return <PropertiesTable doc={doc} schema={schema} />;
}

function PropertiesTable({ schema }: { doc: OpenApiDocument; schema: Schema }) {
  const required = new Set(schema.required ?? []);
  return (
    <div className="table-scroll">
      <table className="docs-table">
        <thead>
          <tr>
            <th scope="col">Property</th>
            <th scope="col">Type</th>
            <th scope="col">Required</th>
            <th scope="col">Notes</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(schema.properties ?? {}).map(([name, prop]) => (
            <tr key={name}>
              <td>
                <code>{name}</code>
              </td>
              <td>
                <SchemaType schema={prop} />
              </td>
              <td>{required.has(name) ? "yes" : "no"}</td>
              <td>
                {prop.description ?? ""}
                {constraints(prop) ? <span className="muted"> {constraints(prop)}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SchemaView({ doc, name, schema }: { doc: OpenApiDocument; name: string; schema: Schema }) {
  return (
    <details className="operation" id={`schema-${anchor(name)}`}>
      <summary>
        <strong>{name}</strong>
        <span className="muted">
          <SchemaType schema={{ ...schema, description: undefined }} />
        </span>
      </summary>
      <div className="operation-body">
        <Markdown text={schema.description} />
        {schema.properties ? (
          <PropertiesTable doc={doc} schema={schema} />
        ) : (
          <pre className="schema">{JSON.stringify(schema, null, 2)}</pre>
        )}
      </div>
    </details>
  );
}
