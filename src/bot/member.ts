// The roster person behind an inbound event, as the core sees it: plain data, no database types.
import type { Role } from "./roles.ts";

export interface Member {
  id: number;
  name: string;
  role: Role;
  /** null: follow the chat app, then the office default. */
  locale: string | null;
  timeZone: string | null;
  unitId: number | null;
  unitName: string | null;
  supervisorId: number | null;
  /** The identity this event came through. */
  identityId: number;
}
