import { Fragment, type ReactNode } from "react";
import { Markdown } from "./markdown";
import { anchor, refName, type Schema } from "./openapi";

/** A schema in a few words: `Export`, `array of Export`, `string (date-time) or null`, `one of: a, b`. */
export function SchemaType({ schema }: { schema: Schema | undefined }): ReactNode {
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
          // biome-ignore lint/suspicious/noArrayIndexKey: a union's schemas have no identity of their own.
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

export function constraints(schema: Schema | undefined): string {
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

/** A scrollable table of the docs page with these column headers. */
export function DocsTable({ columns, children }: { columns: string[]; children: ReactNode }) {
  return (
    <div className="table-scroll">
      <table className="docs-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function PropertiesTable({ schema }: { schema: Schema }) {
  const required = new Set(schema.required ?? []);
  return (
    <DocsTable columns={["Property", "Type", "Required", "Notes"]}>
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
    </DocsTable>
  );
}

export function SchemaView({ name, schema }: { name: string; schema: Schema }) {
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
          <PropertiesTable schema={schema} />
        ) : (
          <pre className="schema">{JSON.stringify(schema, null, 2)}</pre>
        )}
      </div>
    </details>
  );
}
