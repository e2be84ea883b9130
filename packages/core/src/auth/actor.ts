/** Who is acting: every service call takes one. */
export interface Actor {
  id: string;
  username: string;
  isSuperuser: boolean;
}
