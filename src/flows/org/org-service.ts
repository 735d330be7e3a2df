// The roster: bootstrap, invitations, joining, units, languages. Every change writes an AuditEvent.
import { nearestName } from "../../bot/nearest-name.ts";
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import type { Locale } from "../../bot/i18n/index.ts";
import type { Member } from "../../bot/member.ts";
import type { UserRef } from "../../bot/message.ts";
import type { Role } from "../../bot/roles.ts";
import { audit, type Tx } from "../../db/audit.ts";
import type { Invite, Person, Unit } from "../../generated/prisma/client.ts";
import { personByName, unitByName } from "./directory.ts";
import { newInviteCode, normalizeInviteCode } from "./invite-code.ts";

// Serialises /setup so two people racing cannot both become the first admin.
const SETUP_LOCK = 7_265_001;

/**
 * Whether /setup is open: nobody is an admin who can act, i.e. an active admin with a chat account.
 * An imported roster has people but (until someone sets up) no such admin.
 */
export async function setupOpen(prisma: Tx | App["prisma"]): Promise<boolean> {
  return (await actingAdmins(prisma)).length === 0;
}

async function actingAdmins(prisma: Tx | App["prisma"]): Promise<Person[]> {
  return prisma.person.findMany({ where: { role: "admin", active: true, identities: { some: {} } }, orderBy: { id: "asc" } });
}

export interface SetupRequest {
  /** The caller, when their account is already on the roster (imported with their chat id). */
  member: Member | null;
  /** The name typed, or "#12"; unset: the caller's own (roster or chat) name. */
  name?: string;
  /** The office typed; unset: the roster's root unit when there is one. */
  officeName?: string;
  locale?: Locale;
}

export interface SetupDone {
  person: Person;
  /** The roster entry already existed (imported): the caller was linked to it rather than added. */
  linked: boolean;
  /** Their role before they became admin, when they had one. */
  previousRole: Role | null;
  unit: Unit | null;
  unitCreated: boolean;
  /** Accounts the entry had before (someone else may have been using them): told what happened. */
  otherIdentityIds: number[];
  /** Leaders and secretaries with a chat account, who should hear who the admin now is. */
  toTell: Person[];
  /** People on the roster (imported) who have no chat account yet: the admin's next job. */
  withoutAccount: number;
}

/**
 * Makes `user` the first admin, while no admin with a chat account exists. On an imported roster the name
 * may be someone already there: the caller's account is linked to that entry, which becomes admin, rather
 * than a second person of that name. The office's root unit is used when it exists, created when none does.
 */
export async function setup(app: App, user: UserRef, req: SetupRequest): Promise<SetupDone> {
  return app.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SETUP_LOCK})`;
    const admins = await actingAdmins(tx);
    if (admins.length > 0) throw new UserError(req.member ? "org.setupHasAdmin" : "org.setupDone", { admins: admins.map((a) => a.name).join("、") });
    const existing = await setupTarget(tx, req);
    const name = existing?.name ?? req.name ?? user.name ?? user.id;
    const { unit, created } = await setupUnit(tx, existing, req.officeName, name);
    const person = existing
      ? await tx.person.update({ where: { id: existing.id }, data: { role: "admin", active: true, locale: existing.locale ?? req.locale } })
      : await tx.person.create({ data: { name, role: "admin", unitId: unit?.id, locale: req.locale } });
    const before = existing ? await tx.identity.findMany({ where: { personId: existing.id }, select: { id: true } }) : [];
    if (!req.member) {
      await tx.identity.create({ data: { personId: person.id, platform: user.platform, externalId: user.id, displayName: user.name, lastSeenAt: app.clock.now() } });
    }
    if (created) await audit(tx, { actorId: person.id, action: "unit.create", entity: "Unit", entityId: unit!.id, data: { name: unit!.name } });
    await audit(tx, {
      actorId: person.id,
      action: "roster.setup",
      entity: "Person",
      entityId: person.id,
      data: { name, platform: user.platform, linked: Boolean(existing), previousRole: existing?.role ?? null },
    });
    const toTell = await tx.person.findMany({
      where: { id: { not: person.id }, active: true, role: { in: ["leader", "secretary"] }, identities: { some: {} } },
      orderBy: { id: "asc" },
    });
    return {
      person,
      linked: Boolean(existing),
      previousRole: existing && existing.role !== "admin" ? existing.role : null,
      unit: unit ?? (person.unitId ? await tx.unit.findUnique({ where: { id: person.unitId } }) : null),
      unitCreated: created,
      otherIdentityIds: req.member ? [] : before.map((i) => i.id),
      toTell,
      withoutAccount: await tx.person.count({ where: { active: true, identities: { none: {} } } }),
    };
  });
}

/** The roster entry /setup makes admin: the caller's own, or the one person of the name typed; none for a new name. */
async function setupTarget(tx: Tx, req: SetupRequest): Promise<Person | null> {
  if (req.member) {
    const me = await tx.person.findUniqueOrThrow({ where: { id: req.member.id } });
    const typed = req.name?.replace(/^[@＠]/, "");
    // Becoming admin is for oneself: naming someone else from an account on the roster is a mistake.
    if (typed && typed !== me.name && typed !== `#${me.id}`) throw new UserError("org.setupNotYou", { name: me.name });
    return me;
  }
  if (!req.name) return null;
  if (req.name.startsWith("#")) return personByName(tx, req.name);
  const count = await tx.person.count({ where: { name: req.name, active: true } });
  return count === 0 ? null : personByName(tx, req.name); // several: personByName asks which one
}

/**
 * The unit of a new first admin: the office typed, which must be on the roster once units exist (a second
 * top-level office by a slip of the keyboard helps nobody), else the one root unit. A linked person keeps
 * their unit; the office typed must then be theirs or the root's.
 */
async function setupUnit(tx: Tx, existing: Person | null, officeName: string | undefined, name: string): Promise<{ unit: Unit | null; created: boolean }> {
  const roots = await tx.unit.findMany({ where: { parentId: null }, orderBy: { id: "asc" } });
  const own = existing?.unitId ? await tx.unit.findUnique({ where: { id: existing.unitId } }) : null;
  if (!officeName) return { unit: existing ? own : roots.length === 1 ? roots[0]! : null, created: false };
  const typed = await unitByName(tx, officeName);
  if (existing) {
    if (typed && (typed.id === own?.id || typed.parentId === null)) return { unit: own, created: false };
    throw new UserError("org.setupOfficeMismatch", { name, office: officeName, unit: own?.name ?? "—", roots: roots.map((r) => r.name).join("、") || "—" });
  }
  if (typed) return { unit: typed, created: false };
  if (roots.length === 0) return { unit: await tx.unit.create({ data: { name: officeName } }), created: true };
  throw new UserError("org.setupOfficeUnknown", { office: officeName, roots: roots.map((r) => r.name).join("、") });
}

export interface InviteRequest {
  /** A name, or "#12" for a roster person by number. */
  name: string;
  /** Unset: member, or the existing person's role. */
  role?: Role;
  unitName?: string;
  supervisorName?: string;
}

export interface CreatedInvite {
  invite: Invite;
  /** Someone already on the roster (e.g. imported) whom the code binds an account to. */
  existing: Person | null;
  unit: Unit | null;
  unitCreated: boolean;
  supervisor: Person | null;
  /** The supervisor is an invitee who has not joined yet (their roster entry was made from their invite). */
  supervisorPending: boolean;
}

/**
 * Creates a one-time invite code. A name already on the roster (say, imported from a CSV without chat
 * ids) gets a code that binds an account to that person rather than adding a second one. Only admins
 * may invite admins.
 */
export async function createInvite(app: App, inviter: Member, req: InviteRequest): Promise<CreatedInvite> {
  return app.prisma.$transaction(async (tx) => {
    const existing = await existingPerson(tx, req.name);
    // Someone who has joined already needs no code: one would only promise a link that never happens.
    if (existing && (await tx.identity.count({ where: { personId: existing.id } })) > 0) {
      throw new UserError("org.inviteJoined", { name: existing.name, id: existing.id });
    }
    const role = req.role ?? existing?.role ?? "member";
    if (role === "admin" && inviter.role !== "admin") throw new UserError("org.onlyAdminInvitesAdmin");
    const { unit, created } = req.unitName
      ? await unitForInvite(tx, inviter, req.unitName)
      : { unit: existing?.unitId ? await tx.unit.findUnique({ where: { id: existing.unitId } }) : null, created: false };
    const { supervisor, supervisorPending } = req.supervisorName
      ? await supervisorFor(app, tx, inviter, req.supervisorName)
      : { supervisor: existing?.supervisorId ? await tx.person.findUnique({ where: { id: existing.supervisorId } }) : null, supervisorPending: false };
    const expiresAt = new Date(app.clock.now().getTime() + app.config.inviteHours * 3600_000);
    const invite = await tx.invite.create({
      data: {
        code: newInviteCode(),
        name: existing?.name ?? req.name,
        personId: existing?.id,
        role,
        unitId: unit?.id,
        supervisorId: supervisor?.id,
        createdById: inviter.id,
        expiresAt,
      },
    });
    await audit(tx, {
      actorId: inviter.id,
      action: "invite.create",
      entity: "Invite",
      entityId: invite.id,
      data: { name: invite.name, person: existing?.id ?? null, role, unit: unit?.name ?? null, supervisor: supervisor?.name ?? null },
    });
    return { invite, existing, unit, unitCreated: created, supervisor, supervisorPending };
  });
}

/**
 * The supervisor an invite names: anyone on the roster, with a chat account or not (imported), or someone
 * invited who has not joined yet. For the last, their roster entry is created now from their invite, as an
 * import would have made it, and the invite binds their account to it when they join: both invitees then
 * point at real rows, whichever joins first, and nothing waits to be resolved later.
 */
async function supervisorFor(app: App, tx: Tx, inviter: Member, name: string): Promise<{ supervisor: Person; supervisorPending: boolean }> {
  const typed = name.trim().replace(/^[@＠]/, "");
  if (typed.startsWith("#") || (await tx.person.count({ where: { name: typed, active: true } })) > 0) {
    return { supervisor: await personByName(tx, typed), supervisorPending: false };
  }
  const pending = await tx.invite.findMany({ where: { name: typed, personId: null, usedAt: null, expiresAt: { gt: app.clock.now() } }, take: 2 });
  if (pending.length === 0) throw new UserError("org.noSuchPerson", { name: typed });
  if (pending.length > 1) throw new UserError("org.ambiguousInvitee", { name: typed });
  const invite = pending[0]!;
  const person = await tx.person.create({ data: { name: invite.name, role: invite.role, unitId: invite.unitId, supervisorId: invite.supervisorId } });
  await tx.invite.update({ where: { id: invite.id }, data: { personId: person.id } });
  await audit(tx, { actorId: inviter.id, action: "person.fromInvite", entity: "Person", entityId: person.id, data: { invite: invite.id, name: person.name, reason: "named as supervisor" } });
  return { supervisor: person, supervisorPending: true };
}

/** The roster person an invite is for: "#12", or the one active person of that name; none for a new name. */
async function existingPerson(tx: Tx, name: string): Promise<Person | null> {
  if (name.startsWith("#")) return personByName(tx, name);
  const count = await tx.person.count({ where: { name, active: true } });
  return count === 0 ? null : personByName(tx, name); // several: personByName asks which one
}

/** An existing unit; admins may name a new one, which is created under the office's root unit. */
async function unitForInvite(tx: Tx, inviter: Member, name: string): Promise<{ unit: Unit; created: boolean }> {
  const existing = await unitByName(tx, name);
  if (existing) return { unit: existing, created: false };
  if (inviter.role !== "admin") throw new UserError("org.noSuchUnit", { name, known: await knownUnitNames(tx, name) });
  return { unit: await createUnit(tx, inviter.id, name, undefined), created: true };
}

/** The units there are, for a "no such unit" answer: the nearest to what was typed first. */
async function knownUnitNames(tx: Tx, typed: string): Promise<string> {
  const names = (await tx.unit.findMany({ orderBy: { id: "asc" }, take: 30 })).map((u) => u.name);
  const near = nearestName(typed, names);
  return (near ? [near, ...names.filter((n) => n !== near)] : names).join("、") || "—";
}

/** Creates a unit under `parentName`, or under the root unit when there is exactly one. */
export async function addUnit(app: App, actor: Member, name: string, parentName: string | undefined): Promise<Unit> {
  return app.prisma.$transaction(async (tx) => {
    if (await unitByName(tx, name)) throw new UserError("org.unitExists", { name });
    return createUnit(tx, actor.id, name, parentName);
  });
}

async function createUnit(tx: Tx, actorId: number, name: string, parentName: string | undefined): Promise<Unit> {
  let parentId: number | null = null;
  if (parentName) {
    const parent = await unitByName(tx, parentName);
    if (!parent) throw new UserError("org.noSuchUnit", { name: parentName, known: await knownUnitNames(tx, parentName) });
    parentId = parent.id;
  } else {
    const roots = await tx.unit.findMany({ where: { parentId: null }, take: 2 });
    if (roots.length === 1) parentId = roots[0]!.id;
  }
  const unit = await tx.unit.create({ data: { name, parentId } });
  await audit(tx, { actorId, action: "unit.create", entity: "Unit", entityId: unit.id, data: { name, parentId } });
  return unit;
}

export interface Joined {
  person: Person;
  invite: Invite;
  unit: Unit | null;
}

/** Joins the roster with an invite code: creates the person and binds this platform account to them. */
export async function join(app: App, user: UserRef, typedCode: string, locale: Locale | undefined): Promise<Joined> {
  const code = normalizeInviteCode(typedCode);
  return app.prisma.$transaction(async (tx) => {
    const already = await tx.identity.findUnique({ where: { platform_externalId: { platform: user.platform, externalId: user.id } } });
    if (already) throw new UserError("org.alreadyJoined");
    const invite = await tx.invite.findUnique({ where: { code }, include: { unit: true } });
    if (!invite) throw new UserError("org.inviteUnknown", { code: typedCode.trim() });
    if (invite.usedAt) throw new UserError("org.inviteUsed");
    if (invite.expiresAt <= app.clock.now()) throw new UserError("org.inviteExpired");
    const fields = { role: invite.role, unitId: invite.unitId, supervisorId: invite.supervisorId };
    const person = invite.personId
      ? await tx.person.update({ where: { id: invite.personId }, data: { ...fields, active: true, locale: locale ?? undefined } })
      : await tx.person.create({ data: { name: invite.name, ...fields, locale } });
    // Joining (or linking) is writing from this account: it becomes the one Relay writes to.
    await tx.identity.create({ data: { personId: person.id, platform: user.platform, externalId: user.id, displayName: user.name, lastSeenAt: app.clock.now() } });
    // Conditional update: of two people racing with one code, exactly one wins.
    const claimed = await tx.invite.updateMany({ where: { id: invite.id, usedAt: null }, data: { usedAt: app.clock.now(), usedById: person.id } });
    if (claimed.count !== 1) throw new UserError("org.inviteUsed");
    await audit(tx, {
      actorId: person.id,
      action: "person.join",
      entity: "Person",
      entityId: person.id,
      data: { invite: invite.id, platform: user.platform, role: invite.role, unit: invite.unit?.name ?? null },
    });
    return { person, invite, unit: invite.unit };
  });
}

/**
 * A one-time code that links another chat account (Slack, a second Telegram) to `member`: sent from the
 * other account with /join, it binds that account to this roster entry instead of adding a person.
 */
export async function createLinkCode(app: App, member: Member): Promise<Invite> {
  return app.prisma.$transaction(async (tx) => {
    const person = await tx.person.findUniqueOrThrow({ where: { id: member.id } });
    const invite = await tx.invite.create({
      data: {
        code: newInviteCode(),
        name: person.name,
        personId: person.id,
        role: person.role,
        unitId: person.unitId,
        supervisorId: person.supervisorId,
        createdById: person.id,
        expiresAt: new Date(app.clock.now().getTime() + 3600_000), // an hour: it is for the person themself
      },
    });
    await audit(tx, { actorId: person.id, action: "identity.linkCode", entity: "Invite", entityId: invite.id });
    return invite;
  });
}

/** Remembers the language a person wants Relay to speak to them. */
export async function setLocale(app: App, member: Member, locale: Locale): Promise<void> {
  await app.prisma.$transaction(async (tx) => {
    await tx.person.update({ where: { id: member.id }, data: { locale } });
    await audit(tx, { actorId: member.id, action: "person.locale", entity: "Person", entityId: member.id, data: { from: member.locale, to: locale } });
  });
}
