// Who approves a leave request: the supervisor; for more than one working day also a leader of the
// requester's unit (or the nearest unit above); for more than five also the principal leader (a leader
// of the office's root unit); with no leader on the roster, its admins stand in. The thresholds are an admin's to change (/approvers). Nobody appears twice
// and nobody approves their own leave.
import type { PrismaClient } from "../../db/database.ts";
import type { Person } from "../../generated/prisma/client.ts";

export async function leaveApprovers(
  prisma: PrismaClient,
  requesterId: number,
  workingDays: number,
  thresholds: { leaderAfterDays: number; principalAfterDays: number } = { leaderAfterDays: 1, principalAfterDays: 5 },
): Promise<number[]> {
  const requester = await prisma.person.findUniqueOrThrow({ where: { id: requesterId } });
  const units = await prisma.unit.findMany({ select: { id: true, parentId: true } });
  // An office with no one in the leader role (its leader became the first admin at /setup) has its admins
  // take the leader steps, rather than longer leave quietly needing only the supervisor.
  const byRole = (role: "leader" | "admin") => prisma.person.findMany({ where: { role, active: true }, orderBy: { id: "asc" } });
  const named = await byRole("leader");
  const leaders = named.length > 0 ? named : await byRole("admin");
  const chain: number[] = [];
  const add = (p: Pick<Person, "id"> | null | undefined) => {
    if (p && p.id !== requester.id && !chain.includes(p.id)) chain.push(p.id);
  };

  const supervisor = requester.supervisorId ? await prisma.person.findFirst({ where: { id: requester.supervisorId, active: true } }) : null;
  add(supervisor);
  // The nearest leader walking up from the requester's unit.
  const unitLeader = (() => {
    for (let unitId = requester.unitId; unitId !== null; unitId = units.find((u) => u.id === unitId)?.parentId ?? null) {
      const found = leaders.find((l) => l.unitId === unitId && l.id !== requester.id);
      if (found) return found;
    }
    return leaders.find((l) => l.id !== requester.id) ?? null;
  })();
  if (workingDays > thresholds.leaderAfterDays || chain.length === 0) add(unitLeader);
  if (workingDays > thresholds.principalAfterDays) {
    const roots = new Set(units.filter((u) => u.parentId === null).map((u) => u.id));
    add(leaders.find((l) => l.unitId !== null && roots.has(l.unitId) && l.id !== requester.id));
  }
  if (chain.length === 0) add(await prisma.person.findFirst({ where: { role: "admin", active: true, id: { not: requester.id } }, orderBy: { id: "asc" } }));
  return chain;
}
