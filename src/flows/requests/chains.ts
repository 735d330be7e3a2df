// Approval chains an admin can change in chat: fixed approvers for seal use and general requests, and the
// working-day thresholds at which leave also goes to a leader and to the principal leader.
import type { App } from "../../app.ts";
import { audit } from "../../db/audit.ts";
import type { Prisma } from "../../generated/prisma/client.ts";

export interface ChainSettings {
  /** Leave longer than this many working days also goes to a leader of the unit. */
  leaderAfterDays: number;
  /** Longer than this, also to the principal leader. */
  principalAfterDays: number;
  /** Fixed approvers (person ids) for seal use and for general requests; empty: the built-in rule. */
  seal: number[];
  generic: number[];
}

export const DEFAULT_CHAINS: ChainSettings = { leaderAfterDays: 1, principalAfterDays: 5, seal: [], generic: [] };
const KEY = "approval.chains";

export async function chainSettings(app: App): Promise<ChainSettings> {
  const row = await app.prisma.setting.findUnique({ where: { key: KEY } });
  return { ...DEFAULT_CHAINS, ...((row?.value as Partial<ChainSettings> | undefined) ?? {}) };
}

/** Changes part of the chains; an AuditEvent records who changed what. */
export async function updateChains(app: App, actorId: number, change: Partial<ChainSettings>): Promise<ChainSettings> {
  const next = { ...(await chainSettings(app)), ...change };
  await app.prisma.$transaction(async (tx) => {
    await tx.setting.upsert({ where: { key: KEY }, create: { key: KEY, value: next as unknown as Prisma.InputJsonValue }, update: { value: next as unknown as Prisma.InputJsonValue } });
    await audit(tx, { actorId, action: "setting.chains", entity: "Setting", entityId: KEY, data: change as unknown as Prisma.InputJsonValue });
  });
  return next;
}

/** The configured approvers of `kind`, without the requester and anyone no longer active. */
export async function configuredApprovers(app: App, kind: "seal" | "generic", requesterId: number): Promise<number[]> {
  const ids = (await chainSettings(app))[kind];
  const active = await app.prisma.person.findMany({ where: { id: { in: ids }, active: true }, select: { id: true } });
  return ids.filter((id) => id !== requesterId && active.some((p) => p.id === id));
}
