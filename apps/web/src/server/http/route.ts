/** The HTTP methods an API endpoint can serve (HEAD and OPTIONS are answered by the dispatcher). */
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type Method = (typeof METHODS)[number];

/** Path parameters, decoded (`{ id }` of `/api/v1/exports/{id}/`). */
export type PathParams = Readonly<Record<string, string>>;

/** One method of one endpoint: a fetch-style handler. */
export type Handler = (req: Request, params: PathParams) => Promise<Response>;

/** The methods an endpoint serves; any other is a 405 with `Allow`. */
export type Endpoint = Partial<Record<Method, Handler>>;
