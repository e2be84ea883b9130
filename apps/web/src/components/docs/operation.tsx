import { Markdown } from "./markdown";
import { type Entry, type OpenApiDocument, type Parameter, resolve, type Schema } from "./openapi";
import { constraints, DocsTable, PropertiesTable, SchemaType } from "./schema";

/** One operation: its parameters, request body and responses. */
export function OperationView({ doc, entry }: { doc: OpenApiDocument; entry: Entry }) {
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
          <DocsTable columns={["Name", "In", "Type", "Required", "Description"]}>
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
                  {constraints(p.schema) ? <span className="muted"> ({constraints(p.schema)})</span> : null}
                </td>
              </tr>
            ))}
          </DocsTable>
        )}
        {body ? (
          <>
            <h3>Request body{body.required ? " (required)" : ""}</h3>
            <Markdown text={body.description} />
            <ul>
              {Object.entries(body.content ?? {}).map(([type, media]) => (
                <li key={type}>
                  <code>{type}</code>: <SchemaType schema={media.schema} />
                  <InlineProperties schema={media.schema} />
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <h3>Responses</h3>
        <DocsTable columns={["Status", "Description", "Body"]}>
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
        </DocsTable>
      </div>
    </details>
  );
}

/** An inline object schema (a request body without a named schema): its properties, listed. */
function InlineProperties({ schema }: { schema: Schema | undefined }) {
  if (!schema || schema.$ref || !schema.properties) return null;
  return <PropertiesTable schema={schema} />;
}
