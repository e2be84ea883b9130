"use client";

import type { FilterDescription, ResourceDescription } from "@exports/core/contract";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import type { FormEvent, ReactNode } from "react";
import { formToQuery, PAGING_PARAMS } from "~/lib/search-params";

type Control =
  | { type: "text"; param: string; label: string; inputType: "search" | "text" }
  | { type: "select"; param: string; label: string; options: Array<{ value: string; label: string }> }
  | { type: "range"; label: string; inputType: "number" | "date"; step?: string; from: string; to: string };

/** The input a filter of the registry gets: text → contains, choices/booleans → select, numbers/dates → range. */
export function controlsFor(resource: ResourceDescription): Control[] {
  const labelOf = (f: FilterDescription) =>
    resource.fields.find((x) => x.name === f.name)?.labels.en ?? f.name;
  const controls: Control[] = [];
  for (const f of resource.filters) {
    const label = labelOf(f);
    const has = (lookup: string) => (f.lookups as readonly string[]).includes(lookup);
    switch (f.kind) {
      case "text":
      case "uuid":
        if (has("icontains"))
          controls.push({
            type: "text",
            param: `${f.name}__icontains`,
            label: `${label} contains`,
            inputType: "search",
          });
        else if (has("exact")) controls.push({ type: "text", param: f.name, label, inputType: "text" });
        break;
      case "choice":
        controls.push({
          type: "select",
          param: f.name,
          label,
          options: [{ value: "", label: "Any" }, ...(f.choices ?? []).map((c) => ({ value: c, label: c }))],
        });
        break;
      case "boolean":
        controls.push({
          type: "select",
          param: f.name,
          label,
          options: [
            { value: "", label: "Any" },
            { value: "true", label: "Yes" },
            { value: "false", label: "No" },
          ],
        });
        break;
      case "integer":
      case "decimal":
        if (has("gte") && has("lte"))
          controls.push({
            type: "range",
            label,
            inputType: "number",
            step: f.kind === "integer" ? "1" : "any",
            from: `${f.name}__gte`,
            to: `${f.name}__lte`,
          });
        else if (has("exact")) controls.push({ type: "text", param: f.name, label, inputType: "text" });
        break;
      case "datetime":
        if (has("date__gte") && has("date__lte"))
          controls.push({
            type: "range",
            label,
            inputType: "date",
            from: `${f.name}__date__gte`,
            to: `${f.name}__date__lte`,
          });
        break;
    }
  }
  return controls;
}

function paramsOf(controls: Control[]): string[] {
  return controls.flatMap((c) => (c.type === "range" ? [c.from, c.to] : [c.param]));
}

/** A resource list's filters, derived from the registry and kept in the URL. */
export function ResourceFilters({ resource }: { resource: ResourceDescription }) {
  const params = useSearchParams();
  const pathname = usePathname();
  const router = useRouter();
  const controls = controlsFor(resource);
  const known = new Set([...paramsOf(controls), ...PAGING_PARAMS]);
  // Filters typed into the URL by hand that the form has no input for: kept, and shown.
  const extra = [...params.entries()].filter(([k, v]) => !known.has(k) && v !== "");
  const active = [...params.entries()].some(
    ([k, v]) => v !== "" && !(PAGING_PARAMS as readonly string[]).includes(k),
  );

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    router.push(`${pathname}${formToQuery(event.currentTarget, { limit: params.get("limit") ?? "" })}`);
  }

  const value = (param: string) => params.get(param) ?? "";
  const rendered: ReactNode[] = controls.map((c) => {
    if (c.type === "text")
      return (
        <label className="field" key={c.param}>
          {c.label}
          <input type={c.inputType} name={c.param} defaultValue={value(c.param)} />
        </label>
      );
    if (c.type === "select")
      return (
        <label className="field" key={c.param}>
          {c.label}
          <select name={c.param} defaultValue={value(c.param)}>
            {c.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      );
    return (
      <fieldset className={c.inputType === "date" ? "range dates" : "range"} key={c.from}>
        <legend>{c.label}</legend>
        <div className="range-inputs">
          <label>
            <span>
              <span className="visually-hidden">{c.label} </span>from
            </span>
            <input type={c.inputType} step={c.step} name={c.from} defaultValue={value(c.from)} />
          </label>
          <label>
            <span>
              <span className="visually-hidden">{c.label} </span>to
            </span>
            <input type={c.inputType} step={c.step} name={c.to} defaultValue={value(c.to)} />
          </label>
        </div>
      </fieldset>
    );
  });

  return (
    <section className="card" aria-label="Filters">
      <form
        key={params.toString()}
        className="filters"
        onSubmit={apply}
        aria-label={`Filter ${resource.key}`}
      >
        {rendered}
        {extra.map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <div className="filter-actions">
          <button type="submit" className="button primary">
            Apply filters
          </button>
          {active ? (
            <Link href={pathname} className="button">
              Clear filters
            </Link>
          ) : null}
          {extra.length > 0 ? (
            <span className="muted">
              Also filtered by{" "}
              {extra.map(([k, v]) => (
                <code key={k}>
                  {k}={v}{" "}
                </code>
              ))}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}
