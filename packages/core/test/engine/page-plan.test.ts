import { and, gt, lte } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { copyPageQuery, PAGE_PLAN_SETTINGS } from "../../src/engine/copy/query";
import { exportScope } from "../../src/engine/scope";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, exportRow, tempStorage } from "./helpers";

// A page's read on a table PostgreSQL has no statistics for (bulk-loaded, not analyzed yet): the planner
// expects a handful of rows and, left alone, sorts the whole remaining id range on every page. With the
// page's plan settings it reads the id index in order and stops after the page.

let t: TestDatabase;
let root: Actor;
const ROWS = 30_000;

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

beforeAll(async () => {
  t = await createTestDatabase();
  root = await createActor(t.db, "root", true);
  // No statistics, and no autovacuum to gather them while the test runs.
  await t.pool.query("alter table products set (autovacuum_enabled = off)");
  await seedProducts(t.db, ROWS);
});

afterAll(async () => {
  await t?.destroy();
});

async function firstPagePlan(settings: string | null): Promise<PlanNode[]> {
  const dto = await createTestExport(t.db, root, { request_path: "/api/v1/products/?is_active=true" });
  const row = { ...(await exportRow(t.db, dto.id)), maxInstanceId: ROWS };
  const scope = exportScope(row);
  const id = scope.resource.idColumn;
  const keyset = and(scope.where, gt(id, 0), lte(id, ROWS));
  if (!keyset) throw new Error("no keyset");
  const query = copyPageQuery(row, scope, keyset, 1000);
  if (!query) throw new Error("no COPY form");
  const client = await t.pool.connect();
  try {
    await client.query("begin");
    if (settings) await client.query(settings);
    const { rows } = await client.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      `explain (format json) ${query.text}`,
    );
    await client.query("rollback");
    const plan = rows[0]?.["QUERY PLAN"][0].Plan;
    if (!plan) throw new Error("no plan");
    return nodes(plan);
  } finally {
    client.release();
  }
}

describe("a page's plan without statistics", () => {
  it("left to the planner, sorts the whole remaining range (what the settings prevent)", async () => {
    const plan = await firstPagePlan(null);
    expect(plan.map((n) => n["Node Type"])).toContain("Sort");
  });

  it("with the page's settings, reads the id index in order and sorts nothing", async () => {
    const plan = await firstPagePlan(PAGE_PLAN_SETTINGS);
    const types = plan.map((n) => n["Node Type"]);
    expect(types).not.toContain("Sort");
    expect(plan.some((n) => n["Node Type"] === "Index Scan" && n["Index Name"] === "products_pkey")).toBe(
      true,
    );
  });

  it("exports every matching record in order through those pages", async () => {
    const storage = tempStorage();
    const dto = await createTestExport(t.db, root, {
      request_path: "/api/v1/products/?is_active=true",
      request_fields: ["id"],
    });
    await drain(engineDeps(t, storage, { pageSize: 7_000 }));
    const done = await exportRow(t.db, dto.id);
    expect(done.status).toBe("completed");
    const { rows } = await t.pool.query<{ n: number }>(
      "select count(*)::int as n from products where is_active",
    );
    expect(done.collectedCount).toBe(rows[0]?.n);
  });
});
