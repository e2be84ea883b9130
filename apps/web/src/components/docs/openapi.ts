/** The parts of an OpenAPI 3.x document this page reads; everything else is ignored. */
export interface Schema {
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
export interface Parameter {
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
export interface Operation {
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
export interface OpenApiDocument {
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

/** Follows a local `$ref` (`#/components/parameters/id_path`) inside the document. */
export function resolve<T extends { $ref?: string }>(
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

export const refName = (ref: string) => ref.split("/").at(-1) ?? ref;
export const anchor = (text: string) => text.replace(/[^A-Za-z0-9_-]+/g, "-");

export interface Entry {
  path: string;
  method: string;
  op: Operation;
  id: string;
}

export function operations(doc: OpenApiDocument): Entry[] {
  const out: Entry[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (op) out.push({ path, method, op, id: `op-${method}-${anchor(path)}` });
    }
  }
  return out;
}
