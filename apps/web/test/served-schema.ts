import Ajv from "ajv";
import addFormats from "ajv-formats";
import { openApiDocument } from "~/server/rest/routes";

type Json = Record<string, unknown>;

/** OpenAPI 3.0's `nullable` in JSON Schema terms, so ajv checks the served schemas as a client reads them. */
function jsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(jsonSchema);
  if (typeof node !== "object" || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string") out[k] = v.replace("#/components/schemas/", "#/definitions/");
    else if (k !== "nullable" && k !== "example" && k !== "default") out[k] = jsonSchema(v);
  }
  if ((node as Json).nullable === true) {
    const { type, ...rest } = out;
    return type === undefined ? { anyOf: [rest, { type: "null" }] } : { ...rest, type: [type, "null"] };
  }
  return out;
}

const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));

/** Throws unless `body` is exactly a served `components.schemas[name]` (no property it does not declare). */
export function assertServedSchema(name: string, body: unknown): void {
  const schemas = (openApiDocument().components as { schemas: Json }).schemas;
  const strictRecord = { ...(jsonSchema(schemas[name]) as Json), additionalProperties: false };
  const validate = ajv.compile({ definitions: jsonSchema(schemas), ...strictRecord });
  if (!validate(body))
    throw new Error(`${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
}

/**
 * Throws unless `body` validates against the served document's answer for `path` + `method` + `status` (its
 * JSON schema, `$ref`s into the served components).
 */
export function assertServedAnswer(path: string, method: string, status: number, body: unknown): void {
  const doc = openApiDocument() as unknown as Json & { paths: Json; components: Json };
  const op = (doc.paths[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
  if (!op) throw new Error(`the served document has no ${method} ${path}`);
  let response = (op.responses as Json)[String(status)] as Json | undefined;
  if (!response) throw new Error(`${method} ${path} documents no ${status}`);
  const ref = response.$ref;
  if (typeof ref === "string") {
    const name = ref.split("/").pop() ?? "";
    response = ((doc.components as Json).responses as Json)[name] as Json;
  }
  const schema = ((response.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema;
  if (!schema) throw new Error(`${method} ${path} ${status} documents no JSON body`);
  const schemas = (doc.components as { schemas: Json }).schemas;
  const validate = ajv.compile({ definitions: jsonSchema(schemas), ...(jsonSchema(schema) as Json) });
  if (!validate(body))
    throw new Error(
      `${method} ${path} → ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
}
