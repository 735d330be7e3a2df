// Looking people up: platform user → roster person, names → people, units by name.
import { MAX_RECORD_ID } from "../../bot/record-id.ts";
import type { Member } from "../../bot/member.ts";
import type { Platform, UserRef } from "../../bot/message.ts";
import { UserError } from "../../bot/errors.ts";
import { nearestName } from "../../bot/nearest-name.ts";
import type { PrismaClient } from "../../db/database.ts";
import type { Tx } from "../../db/audit.ts";
import type { Person, Unit } from "../../generated/prisma/client.ts";

type Db = PrismaClient | Tx;

/** How stale lastSeenAt may get: it only ranks a person's accounts, so one write every few minutes is plenty. */
const SEEN_PRECISION_MS = 5 * 60_000;

/**
 * The roster person behind a platform user, or null if they have not joined (or were deactivated). Notes
 * that they wrote from this account `now`, so Relay writes to them where they last were.
 */
export async function identify(prisma: Db, user: UserRef, now: Date): Promise<Member | null> {
  const identity = await prisma.identity.findUnique({
    where: { platform_externalId: { platform: user.platform, externalId: user.id } },
    include: { person: { include: { unit: true } } },
  });
  if (!identity || !identity.person.active) return null;
  const stale = !identity.lastSeenAt || now.getTime() - identity.lastSeenAt.getTime() > SEEN_PRECISION_MS;
  // They are writing to us, so we can write to them again.
  if (identity.unreachableAt || stale) {
    await prisma.identity.update({ where: { id: identity.id }, data: { unreachableAt: null, ...(stale ? { lastSeenAt: now } : {}) } });
  }
  const p = identity.person;
  return {
    id: p.id,
    name: p.name,
    role: p.role,
    locale: p.locale,
    timeZone: p.timeZone,
    unitId: p.unitId,
    unitName: p.unit?.name ?? null,
    supervisorId: p.supervisorId,
    identityId: identity.id,
  };
}

/** The roster name of a platform user, for reading their mentions ("<@U123>" → "张三"); undefined if not joined. */
export async function rosterName(prisma: Db, platform: Platform, externalId: string): Promise<string | undefined> {
  const identity = await prisma.identity.findUnique({ where: { platform_externalId: { platform, externalId } }, include: { person: true } });
  return identity?.person.active ? identity.person.name : undefined;
}

/** The account on `platform` of the active person called `name`, if they have exactly one such person and account. */
export async function accountOf(prisma: Db, platform: Platform, name: string): Promise<string | undefined> {
  const identities = await prisma.identity.findMany({ where: { platform, person: { name: name.trim(), active: true } }, take: 2 });
  return identities.length === 1 ? identities[0]!.externalId : undefined;
}

/** The one active person called `name` (or "#12" by id); a clear error when none (naming a near name) or several match. */
export async function personByName(prisma: Db, name: string): Promise<Person> {
  name = name.trim().replace(/^[@＠]/, ""); // "@张三", as a mention reads
  const byId = /^#(\d+)$/.exec(name.trim());
  if (byId) {
    const id = Number(byId[1]);
    const person = id <= MAX_RECORD_ID ? await prisma.person.findFirst({ where: { id, active: true } }) : null;
    if (!person) throw new UserError("org.noSuchPerson", { name });
    return person;
  }
  const found = await prisma.person.findMany({ where: { name: name.trim(), active: true }, include: { unit: true }, take: 10 });
  if (found.length === 0) {
    const near = nearestName(name, (await prisma.person.findMany({ where: { active: true }, select: { name: true }, orderBy: { id: "asc" } })).map((p) => p.name));
    throw near ? new UserError("org.noSuchPersonNear", { name, near }) : new UserError("org.noSuchPerson", { name });
  }
  if (found.length > 1) {
    const choices = found.map((p) => `#${p.id} ${p.name}（${p.unit?.name ?? "—"}）`).join("，");
    throw new UserError("org.ambiguousPerson", { name, choices });
  }
  return found[0]!;
}

export async function unitByName(prisma: Db, name: string): Promise<Unit | null> {
  return prisma.unit.findUnique({ where: { name: name.trim() } });
}

/** The unit and every unit below it, for "/people 党政办" to include its sub-units. */
export async function unitSubtreeIds(prisma: Db, rootId: number): Promise<number[]> {
  const units = await prisma.unit.findMany({ select: { id: true, parentId: true } });
  const ids = [rootId];
  for (let i = 0; i < ids.length; i++) for (const u of units) if (u.parentId === ids[i]) ids.push(u.id);
  return ids;
}
