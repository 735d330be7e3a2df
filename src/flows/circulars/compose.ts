// Reading a circular from one line: the title first, then parts introduced by keywords in Chinese
// ("发给 党政办、李明 截止 周五17:00 内容 …") or English flags ("--to … --by … --body …"). A keyword only
// counts as one when it stands alone (spaces around, or a colon after), so "请注意时间安排" stays text.
import type { CircularKind } from "../../generated/prisma/client.ts";

export type Part = "title" | "body" | "audience" | "deadline" | "startsAt" | "place" | "attachment" | "chase";

/** Longest title Relay takes: a heading, not the text (official titles run to about 40 characters). */
export const TITLE_MAX = 200;

export interface DraftFields {
  title?: string;
  body?: string;
  /** Audience words as typed: unit names, people, "#12", "全体", "本群". */
  audience?: string[];
  /** Time expressions as typed; resolved when the preview is made, so errors can be asked about. */
  deadline?: string;
  startsAt?: string;
  place?: string;
  attachment?: string;
  /** How often to chase: "3次", "不催" / "2", "off". */
  chase?: string;
  /** Started with the command alone ("通知"): Relay asks for the title and the text too. */
  guided?: boolean;
}

const KEYWORDS: Record<Exclude<Part, "title">, string[]> = {
  body: ["内容", "正文", "--body"],
  audience: ["发给", "发送给", "给", "对象", "范围", "--to"],
  deadline: ["截止", "期限", "截止时间", "--by", "--deadline"],
  startsAt: ["时间", "会议时间", "--at", "--when"],
  place: ["地点", "会议地点", "--place", "--where"],
  attachment: ["附件", "链接", "文件", "--file", "--link"],
  chase: ["催办", "--chase"],
};

const keywordToPart = new Map<string, Part>(Object.entries(KEYWORDS).flatMap(([part, words]) => words.map((w) => [w, part as Part])));

/** Words that are a whole chase setting on their own ("… 截止 周五 不催"), needing no 催办 before them. */
const NO_CHASE = /^(不催|不催办|不用催|无需催办|--no-chase)$/i;

/** The parts each kind needs before it can be previewed. */
export const REQUIRED: Record<CircularKind, Part[]> = {
  notice: ["audience", "deadline"],
  meeting: ["audience", "startsAt", "place"],
  document: ["audience", "deadline"],
};

// In the title, a clause may start a part without spaces: "关于报送材料的通知，发给党政办，截止周五".
// Only there, and only these words, which a title does not otherwise use after a comma ("，截止目前" is
// body text, and the body is never split this way).
const CLAUSE_KEYWORD = /[，,；;。]\s*(发送给|发给|截止时间|截止|期限)\s*(?=\S)/g;

/** The title part of `text` (up to the first standalone keyword) with its clause keywords set off by spaces. */
function spaceClauses(text: string): string {
  let end = text.length;
  for (const m of text.matchAll(/\S+/g)) {
    if (keywordToPart.has(splitColon(m[0])[0].toLowerCase())) {
      end = m.index;
      break;
    }
  }
  return text.slice(0, end).replace(CLAUSE_KEYWORD, " $1 ") + text.slice(end);
}

/** Splits "标题 发给 党政办 截止 周五17:00" into fields; unknown text before any keyword is the title. */
export function parseCompose(text: string): DraftFields {
  // Tokens keep their whitespace so the pieces between keywords come back as typed.
  const tokens = spaceClauses(text.trim()).split(/(\s+)/);
  const fields: DraftFields = {};
  let current: Part | "title" = "title";
  const buffers = new Map<Part | "title", string>();
  for (const token of tokens) {
    if (NO_CHASE.test(token)) {
      buffers.set("chase", token);
      continue;
    }
    const [word, rest] = splitColon(token);
    const part = keywordToPart.get(word.toLowerCase());
    if (part) {
      current = part;
      if (rest) buffers.set(current, (buffers.get(current) ?? "") + rest);
      continue;
    }
    buffers.set(current, (buffers.get(current) ?? "") + token);
  }
  for (const [part, raw] of buffers) {
    const value = raw.trim();
    if (!value) continue;
    if (part === "audience") fields.audience = splitAudience(value);
    else fields[part] = value;
  }
  return fields;
}

/** "时间：明天9点" → ["时间", "明天9点"]; a keyword may carry its value after a colon. */
function splitColon(token: string): [string, string] {
  const m = /^([^:：]+)[:：](.*)$/.exec(token);
  if (m && keywordToPart.has(m[1]!.toLowerCase())) return [m[1]!, m[2]!];
  return [token, ""];
}

/** "党政办、综治办,李明 #12" → ["党政办", "综治办", "李明", "#12"]. */
export function splitAudience(value: string): string[] {
  return value
    .split(/[\s,，、;；]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

/** The first required part still missing, in the order a person would be asked. */
export function missingPart(kind: CircularKind, fields: DraftFields): Part | undefined {
  if (!fields.title) return "title";
  // A conversation started with the bare command asks for the text too; "无" leaves it empty.
  if (fields.guided && fields.body === undefined) return "body";
  return REQUIRED[kind].find((part) => (part === "audience" ? !fields.audience?.length : !fields[part]));
}
