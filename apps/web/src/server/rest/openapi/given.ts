import type { Json } from "../route";
import seed from "./omnitron-exports.seed.openapi.json";

/**
 * The given document (SPEC §2). Its three operations keep their response schemas; every other difference
 * from its text is in the README ("The served OpenAPI document") and checked by test/openapi.test.ts.
 */
export interface GivenDocument {
  openapi: string;
  security: Json[];
  components: Record<string, Json>;
  paths: Record<string, Record<string, GivenOperation>>;
}

export type GivenOperation = Json & { parameters: Json[]; responses: Record<string, Json> };

/** A copy: building never changes the seed. */
export const givenDocument = (): GivenDocument => structuredClone(seed) as unknown as GivenDocument;

/** The given operations, as [path, method]: each must be described by a route. */
export const GIVEN_OPERATIONS = [
  ["/api/v1/exports/{id}/", "get"],
  ["/api/v1/exports/", "get"],
  ["/api/v1/exports/{id}/set_cancel/", "post"],
] as const;

/** A copy of a given operation, for its route to describe around the given responses. */
export function givenOperation(path: string, method: string): GivenOperation {
  const op = givenDocument().paths[path]?.[method];
  if (!op) throw new Error(`the given document has no ${method} ${path}`);
  return op;
}

/** The given list's filter parameters, by their given component names (each filter's exact lookup). */
export const GIVEN_FILTER_COMPONENTS = ["created_date", "status", "format_type"] as const;

/** The given parameter components, which the given operations `$ref`. */
export const givenParameterComponents = () => givenDocument().components.parameters as Record<string, Json>;
