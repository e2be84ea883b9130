"use client";

import type { AdminUserResult, UserDto } from "@exports/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { formatDateTime } from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";
import { useCurrentUser } from "../session";
import { OneTimeLink } from "./one-time-link";

const PAGE_SIZE = 50;

/**
 * The Users page (issue 18), for superusers: create a user (a password, or a one-time set-password link shown
 * once), deactivate / reactivate, make or unmake superuser, reset a password. One's own row offers none of
 * what one may not do to oneself (the server refuses it anyway).
 */
export function UsersView() {
  const user = useCurrentUser();
  if (!user.is_superuser) {
    return (
      <div className="container">
        <div className="page-header">
          <h1>Users</h1>
        </div>
        <div className="message error" role="alert">
          <p>Only superusers can manage users.</p>
        </div>
      </div>
    );
  }
  return <UsersAdmin currentUserId={user.id} />;
}

function UsersAdmin({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [active, setActive] = useState<"" | "true" | "false">("");
  const [page, setPage] = useState(1);
  const [link, setLink] = useState<AdminUserResult | null>(null);
  const list = useQuery(
    trpc.users.list.queryOptions({
      limit: PAGE_SIZE,
      page,
      ...(search.trim() ? { search: search.trim() } : {}),
      ...(active ? { is_active: active } : {}),
    }),
  );
  const pages = list.data ? Math.max(1, Math.ceil(list.data.total / PAGE_SIZE)) : 1;
  return (
    <div className="container">
      <div className="page-header">
        <h1>Users</h1>
        <p className="muted">
          Who may sign in. Deactivating someone ends their sessions and refuses their API keys at once; their
          exports and files stay, their schedules stop.
        </p>
      </div>
      <CreateUser onLink={setLink} />
      {link?.set_password_link ? (
        <OneTimeLink
          username={link.username}
          path={link.set_password_link.path}
          expiresAt={link.set_password_link.expires_at}
          onDone={() => setLink(null)}
        />
      ) : null}
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">All users</h2>
        <div className="filters">
          <label className="field">
            <span>Search usernames</span>
            <input
              type="search"
              value={search}
              maxLength={150}
              onChange={(e) => {
                setSearch(e.target.value);
                setPage(1);
              }}
            />
          </label>
          <label className="field">
            <span>Status</span>
            <select
              value={active}
              onChange={(e) => {
                setActive(e.target.value as "" | "true" | "false");
                setPage(1);
              }}
            >
              <option value="">All</option>
              <option value="true">Active</option>
              <option value="false">Deactivated</option>
            </select>
          </label>
        </div>
        {list.isPending ? <Loading /> : null}
        {list.isError ? <ErrorMessage error={list.error} thing="the users" /> : null}
        {list.data && list.data.items.length === 0 ? <p className="muted">No users match.</p> : null}
        {list.data && list.data.items.length > 0 ? (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
          <section className="table-scroll" aria-label="Users table" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((u) => (
                  <UserRow key={u.id} user={u} self={u.id === currentUserId} onLink={setLink} />
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
        {list.data && pages > 1 ? (
          <nav className="pagination" aria-label="Pages of users">
            <button
              type="button"
              className="button small"
              disabled={page <= 1}
              onClick={() => setPage(page - 1)}
            >
              Previous
            </button>{" "}
            <span className="muted">
              Page {page} of {pages} ({list.data.total} users)
            </span>{" "}
            <button
              type="button"
              className="button small"
              disabled={page >= pages}
              onClick={() => setPage(page + 1)}
            >
              Next
            </button>
          </nav>
        ) : null}
      </section>
    </div>
  );
}

function CreateUser({ onLink }: { onLink: (u: AdminUserResult) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<"password" | "link">("password");
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: (u) => {
        setCreated(u.username);
        if (u.set_password_link) onLink(u);
        void queryClient.invalidateQueries(trpc.users.pathFilter());
      },
    }),
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    setCreated(null);
    create.mutate(
      {
        username: String(form.get("username") ?? "").trim(),
        email: String(form.get("email") ?? ""),
        is_superuser: form.get("is_superuser") === "on",
        ...(mode === "password"
          ? { password: String(form.get("password") ?? "") }
          : { set_password_link: true }),
      },
      { onSuccess: () => formEl.reset() },
    );
  }
  return (
    <section className="card" aria-labelledby="create-user-title">
      <h2 id="create-user-title">Add a user</h2>
      <form className="filters" onSubmit={submit} aria-label="Add a user" data-testid="create-user">
        <label className="field">
          <span>Username</span>
          <input name="username" required maxLength={150} autoComplete="off" autoCapitalize="none" />
        </label>
        <label className="field">
          <span>Email (optional)</span>
          <input name="email" type="email" maxLength={254} autoComplete="off" />
        </label>
        <label className="field">
          <span>
            <input name="is_superuser" type="checkbox" /> Superuser
          </span>
        </label>
        <fieldset className="field">
          <legend>Password</legend>
          <label>
            <input
              type="radio"
              name="mode"
              checked={mode === "password"}
              onChange={() => setMode("password")}
            />{" "}
            Set one now
          </label>{" "}
          <label>
            <input type="radio" name="mode" checked={mode === "link"} onChange={() => setMode("link")} /> Give
            them a one-time link to set it
          </label>
        </fieldset>
        {mode === "password" ? (
          <label className="field">
            <span>Initial password (8 characters or more)</span>
            <input name="password" type="password" required minLength={8} autoComplete="new-password" />
          </label>
        ) : null}
        {create.isError ? <ErrorMessage error={create.error} title="Not created" /> : null}
        {created ? (
          <p className="muted" role="status">
            Created {created}.
          </p>
        ) : null}
        <div className="filter-actions">
          <button type="submit" className="button primary" disabled={create.isPending}>
            {create.isPending ? "Adding…" : "Add user"}
          </button>
        </div>
      </form>
    </section>
  );
}

function UserRow({
  user: u,
  self,
  onLink,
}: {
  user: UserDto;
  self: boolean;
  onLink: (u: AdminUserResult) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: (changed) => {
        if (changed.set_password_link) onLink(changed);
        void queryClient.invalidateQueries(trpc.users.pathFilter());
      },
    }),
  );
  const change = (changes: Parameters<typeof update.mutate>[0]["changes"]) =>
    update.mutate({ id: u.id, changes });
  return (
    <tr data-username={u.username}>
      <td>
        {u.username}
        {self ? <span className="muted"> (you)</span> : null}
      </td>
      <td>{u.email ?? <span className="muted">none</span>}</td>
      <td>{u.is_superuser ? "Superuser" : "User"}</td>
      <td>
        <span className={`badge ${u.is_active ? "badge-completed" : "badge-cancelled"}`}>
          {u.is_active ? "active" : "deactivated"}
        </span>
        {u.has_password ? null : <span className="muted"> · no password yet</span>}
      </td>
      <td>{formatDateTime(u.created_date)}</td>
      <td>
        {self ? (
          <span className="muted">Change your own password on the Account page.</span>
        ) : (
          <div className="actions">
            <button
              type="button"
              className="button small"
              disabled={update.isPending}
              onClick={() => {
                if (
                  !u.is_active ||
                  window.confirm(
                    `Deactivate ${u.username}? Their sessions end and their API keys stop working at once.`,
                  )
                )
                  change({ is_active: !u.is_active });
              }}
            >
              {u.is_active ? "Deactivate" : "Reactivate"}
            </button>
            <button
              type="button"
              className="button small"
              disabled={update.isPending}
              onClick={() => change({ is_superuser: !u.is_superuser })}
            >
              {u.is_superuser ? "Remove superuser" : "Make superuser"}
            </button>
            <button
              type="button"
              className="button small danger-outline"
              disabled={update.isPending || !u.is_active}
              onClick={() => {
                if (
                  window.confirm(
                    `Reset ${u.username}'s password? The current one stops working, their sessions end, and you get a one-time link to give them.`,
                  )
                )
                  change({ reset_password: true });
              }}
            >
              Reset password
            </button>
          </div>
        )}
        {update.isError ? <ErrorMessage error={update.error} thing="the user" /> : null}
      </td>
    </tr>
  );
}
