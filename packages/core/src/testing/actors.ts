import type { Actor } from "../auth/actor";
import { createUser } from "../auth/users";
import type { Db } from "../db/client";

/** A user in the test's database, as the actor the services take. */
export async function createActor(db: Db, username: string, isSuperuser = false): Promise<Actor> {
  const user = await createUser(db, { username, isSuperuser });
  return { id: user.id, username: user.username, isSuperuser: user.is_superuser };
}
