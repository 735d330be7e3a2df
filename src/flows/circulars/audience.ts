// Who a circular is for: words the author typed ("党政办", "李明", "#12", "全体", "本群") → people, units,
// group chats or everyone; expanded to people when it is published, so later roster changes do not move it.
import { UserError } from "../../bot/errors.ts";
import type { ChatRef } from "../../bot/message.ts";
import type { Tx } from "../../db/audit.ts";
import type { PrismaClient } from "../../db/database.ts";
import { personByName, unitSubtreeIds } from "../org/directory.ts";

export interface Audience {
  people: number[];
  units: number[];
  channels: number[];
  everyone: boolean;
}

const EVERYONE = new Set(["全体", "全体人员", "所有人", "大家", "everyone", "all"]);
const THIS_GROUP = new Set(["本群", "此群", "这个群", "here", "this-group"]);

type Db = PrismaClient | Tx;

/** Reads audience words; a word that is neither a unit, a person nor a keyword is an answer, not a crash. */
export async function resolveAudience(db: Db, words: string[], chat: ChatRef): Promise<Audience> {
  const audience: Audience = { people: [], units: [], channels: [], everyone: false };
  for (const word of words) {
    if (EVERYONE.has(word.toLowerCase())) {
      audience.everyone = true;
      continue;
    }
    if (THIS_GROUP.has(word.toLowerCase())) {
      if (chat.kind !== "group") throw new UserError("circular.thisGroupOutside");
      const channel = await db.channel.findUnique({ where: { platform_externalId: { platform: chat.platform, externalId: chat.id } } });
      if (!channel?.unitId) throw new UserError("circular.groupNotBound");
      audience.channels.push(channel.id);
      continue;
    }
    const unit = await db.unit.findUnique({ where: { name: word } });
    if (unit) {
      audience.units.push(unit.id);
      continue;
    }
    audience.people.push((await personByName(db, word)).id); // throws a clear "no such person" / "which one"
  }
  return audience;
}

export interface Expanded {
  /** Everyone who owes a response. */
  all: number[];
  /** Those who see it in a group chat rather than a direct message: personId → channelId. */
  viaChannel: Map<number, number>;
}

/** The people an audience means now: units with their sub-units, a group's bound unit, everyone active. */
export async function expandAudience(db: Db, audience: Audience): Promise<Expanded> {
  const direct = new Set<number>(audience.people);
  const viaChannel = new Map<number, number>();
  if (audience.everyone) {
    for (const p of await db.person.findMany({ where: { active: true }, select: { id: true } })) direct.add(p.id);
  }
  for (const unitId of audience.units) {
    const ids = await unitSubtreeIds(db, unitId);
    for (const p of await db.person.findMany({ where: { active: true, unitId: { in: ids } }, select: { id: true } })) direct.add(p.id);
  }
  for (const channelId of audience.channels) {
    const channel = await db.channel.findUniqueOrThrow({ where: { id: channelId } });
    if (!channel.unitId) continue;
    const ids = await unitSubtreeIds(db, channel.unitId);
    for (const p of await db.person.findMany({ where: { active: true, unitId: { in: ids } }, select: { id: true } })) {
      if (!direct.has(p.id)) viaChannel.set(p.id, channelId);
    }
  }
  const active = new Set((await db.person.findMany({ where: { id: { in: [...direct] }, active: true }, select: { id: true } })).map((p) => p.id));
  const all = [...new Set([...direct].filter((id) => active.has(id)).concat([...viaChannel.keys()]))].sort((a, b) => a - b);
  return { all, viaChannel };
}

/** "党政办、李明、本群" for previews and /status, from the stored audience. */
export async function describeAudience(db: Db, audience: Audience, everyoneWord: string): Promise<string> {
  const parts: string[] = [];
  if (audience.everyone) parts.push(everyoneWord);
  for (const u of await db.unit.findMany({ where: { id: { in: audience.units } } })) parts.push(u.name);
  for (const c of await db.channel.findMany({ where: { id: { in: audience.channels } } })) parts.push(c.title ?? `#${c.id}`);
  for (const p of await db.person.findMany({ where: { id: { in: audience.people } } })) parts.push(p.name);
  return parts.join("、");
}
