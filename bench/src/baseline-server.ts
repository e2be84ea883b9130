import { createHash } from "node:crypto";
import http from "node:http";
import pg from "pg";

/**
 * The REST baseline: a bare node:http + pg server answering `GET /api/v1/exports/?limit=&page=` and
 * `GET /api/v1/exports/{id}/` with the same queries (token lookup, visibility, list + count, retrieve) and the
 * same JSON as the real app, and nothing else (no framework, no validation beyond what the answer needs).
 */
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
});

const COLUMNS = `id, action_name, collected_count, error_message, fail_count, filter_file, format_type, language,
  last_instance_id, page, request_fields, request_path, requested_by, result_file, total_count, status, uploaded_parts,
  viewset, created_date, modified_date, template_id, options`;

type Row = Record<string, unknown> & { created_date: Date; modified_date: Date };

const dto = (r: Row) => ({
  id: r.id,
  action_name: r.action_name,
  collected_count: r.collected_count,
  error_message: r.error_message,
  fail_count: r.fail_count,
  filter_file: r.filter_file,
  format_type: r.format_type,
  language: r.language,
  last_instance_id: r.last_instance_id,
  page: r.page,
  request_fields: r.request_fields,
  request_path: r.request_path,
  requested_by: r.requested_by,
  result_file: r.result_file,
  total_count: r.total_count,
  status: r.status,
  uploaded_parts: r.uploaded_parts,
  viewset: r.viewset,
  created_date: r.created_date.toISOString(),
  modified_date: r.modified_date.toISOString(),
  template: r.template_id,
  options: r.options,
});

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? "/", "http://localhost");
  const m = /^Token ([0-9a-f]{40})$/.exec(req.headers.authorization ?? "");
  if (!m?.[1]) return send(res, 401, { detail: "Authentication credentials were not provided." });
  const hash = createHash("sha256").update(m[1]).digest("hex");
  // As the app's lookup: an active user's key, not expired, with its scopes (the app checks them per route).
  const auth = await pool.query<{ id: string; is_superuser: boolean; scopes: string[] }>(
    `select u.id, u.is_superuser, t.scopes from api_tokens t join users u on u.id = t.user_id and u.is_active
     where t.key_hash = $1 and (t.expires_at is null or t.expires_at > now()) limit 1`,
    [hash],
  );
  const user = auth.rows[0];
  if (!user) return send(res, 401, { detail: "Invalid token." });
  const detail = /^\/api\/v1\/exports\/([^/]+)\/?$/.exec(url.pathname);
  if (url.pathname === "/api/v1/exports/" || url.pathname === "/api/v1/exports") {
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit") ?? 100) || 100));
    const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
    const where = user.is_superuser ? "" : "where requested_by = $1";
    const params = user.is_superuser ? [] : [user.id];
    const n = params.length;
    const [rows, count] = await Promise.all([
      pool.query<Row>(
        `select ${COLUMNS} from exports ${where} order by created_date desc nulls last, id desc nulls last limit $${n + 1} offset $${n + 2}`,
        [...params, limit, (page - 1) * limit],
      ),
      pool.query<{ n: number }>(`select count(*)::int as n from exports ${where}`, params),
    ]);
    const total = count.rows[0]?.n ?? 0;
    const last = Math.max(1, Math.ceil(total / limit));
    const link = (p: number, rel: string) => {
      const u = new URL(url);
      u.searchParams.set("page", String(p));
      u.searchParams.set("limit", String(limit));
      return `<${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links = [link(1, "first")];
    if (page > 1) links.push(link(Math.min(page - 1, last), "prev"));
    if (page < last) links.push(link(page + 1, "next"));
    links.push(link(last, "last"));
    return send(res, 200, rows.rows.map(dto), {
      "X-Total-Count": String(total),
      Link: links.join(", "),
      "Access-Control-Expose-Headers": "X-Total-Count, Link",
    });
  }
  if (detail?.[1]) {
    const id = detail[1];
    if (!UUID.test(id)) return send(res, 404, { detail: "Not found." });
    const { rows } = await pool.query<Row>(
      `select ${COLUMNS} from exports where id = $1 ${user.is_superuser ? "" : "and requested_by = $2"} limit 1`,
      user.is_superuser ? [id] : [id, user.id],
    );
    const row = rows[0];
    return row ? send(res, 200, dto(row)) : send(res, 404, { detail: "Not found." });
  }
  return send(res, 404, { detail: "Not found." });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => send(res, 500, { detail: String(err) }));
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  console.log(`baseline ready on ${typeof address === "object" && address ? address.port : address}`);
});
process.on("SIGTERM", () => {
  server.close();
  pool.end().finally(() => process.exit(0));
});
