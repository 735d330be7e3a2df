// Relay as a careless user or an attacker meets it: 10,000 generated inputs (random unicode, control characters,
// RTL marks, emoji, 4,000-character lines, markup, SQL-looking text, every command with random arguments, huge
// and negative numbers, pressed and forged buttons) through the whole core, from members and strangers. Every
// input said to the bot gets an answer, none of them the internal-error apology, and nothing is logged at error
// level. The generator is seeded: a failure names the seed and the input, and FUZZ_SEED=… replays it.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Inbound } from "../../src/bot/message.ts";
import { openOffice, TestClock, type Office } from "../support/office.ts";
import { setupOffice } from "../support/roster.ts";

const APOLOGY = /抱歉，处理时出了点问题|something went wrong/i;
const HOLES = /undefined|NaN|\[object Object\]|\{[a-zA-Z]+\}|Invalid Date/g;
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
/** People typing at once, each in their own chat: the office is busy, and the run stays short. */
const LANES = 8;

/** mulberry32: small, fast and seedable, which Math.random is not. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

const WORDS = ["明天下午3点", "3个工作日内", "next Monday 9am", "王主任", "李明", "全体", "城关镇", "综合办", "防汛", "请假", "事假", "年假", "用印", "今晚8点", "月底", "下周", "每天 9点", "2026-12-31", "reason", "all", "tomorrow", "because", "不参加", "已阅", "@所有人", "<@U123|wang>", "<!channel>"];
const SPECIALS = ["\u0000", "\u0001", "\u0007", "\u001b[31m", "\u007f", "\u0085", "\u200b", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufeff", "\ufffd", "\ufffe", "\uffff", "\ud800", "\udfff", "\ud83d", "\r\n", "\n", "\t", "\u2028", "\u2029", "\u3000"];
const EMOJI = ["😀", "👨‍👩‍👧‍👦", "🇨🇳", "🏳️‍🌈", "👍🏽", "🧧", "❤️", "1️⃣", "𠀀", "𪚥", "𝕏"];
const MARKUP = ["<b>粗体</b>", "<script>alert(1)</script>", "*bold* _it_ `code` ~x~", "```\nblock\n```", "[链接](http://example.com)", "<a href=\"javascript:alert(1)\">x</a>", "&amp;&lt;&gt;", "||spoiler||", "> quote", "${process.env}", "{{name}}", "%s%n%x", "\\u0000", "../../etc/passwd"];
const SQL = ["'; DROP TABLE \"Person\"; --", "1 OR 1=1", "\" OR \"\"=\"", "1; SELECT pg_sleep(10)", "Robert'); DROP TABLE Students;--", "' UNION SELECT * FROM \"AuditEvent\" --", "$1", "E'\\x00'"];
const NUMBERS = ["0", "-1", "-2147483649", "2147483647", "2147483648", "99999999999", "9".repeat(40), "1e309", "NaN", "Infinity", "-0", "0x10", "1.5", "#12", "＃3", "１２", "三", "1,000", "+7", "007", ""];

function randomChar(r: Random): string {
  const roll = r.next();
  if (roll < 0.3) return String.fromCharCode(0x20 + r.int(0x5f)); // printable ASCII
  if (roll < 0.55) return String.fromCharCode(0x4e00 + r.int(0x5200)); // CJK
  if (roll < 0.65) return r.pick(SPECIALS);
  if (roll < 0.72) return r.pick(EMOJI);
  if (roll < 0.78) return String.fromCharCode(0x0590 + r.int(0x170)); // Hebrew, Arabic
  if (roll < 0.85) return String.fromCharCode(r.int(0x20)); // C0 controls
  const point = r.int(0x110000 - 0x800); // any code point but the surrogates (SPECIALS has lone ones)
  return String.fromCodePoint(point < 0xd800 ? point : point + 0x800);
}

function randomText(r: Random, max = 40): string {
  const length = r.int(max) + 1;
  let text = "";
  for (let i = 0; i < length; i++) text += randomChar(r);
  return text;
}

function randomArgument(r: Random): string {
  const roll = r.next();
  if (roll < 0.3) return r.pick(NUMBERS);
  if (roll < 0.5) return r.pick(WORDS);
  if (roll < 0.6) return r.pick(SQL);
  if (roll < 0.7) return r.pick(MARKUP);
  return randomText(r, 12);
}

/** Well-formed commands whose free text is hostile: what gets stored, printed back and sent on to others. */
const TEMPLATES: ((text: string, n: string) => string)[] = [
  (x) => `/remind 明天下午3点 ${x}`,
  (x) => `提醒 每天 9点 ${x}`,
  (x) => `/leave 事假 明天 ${x}`,
  (x) => `请假 年假 下周一到周三 ${x}`,
  (x) => `/apply ${x}`,
  (x) => `用印 公章 ${x} 3份 用途 ${x}`,
  (x) => `/invite ${x} 成员`,
  (x) => `邀请 ${x} 领导 ${x} 王主任`,
  (x) => `/people ${x}`,
  (x) => `单位 添加 ${x}`,
  (x) => `通知 ${x} 内容 ${x} 发给 全体 截止 周五17:00`,
  (x) => `/notice ${x}`,
  (x) => `会议 ${x} 时间 明天上午9点 地点 ${x} 发给 领导`,
  (x) => `传阅 ${x} 附件 ${x} 发给 全体 截止 3个工作日内`,
  (x, n) => `回复 ${n} 不参加 ${x}`,
  (x, n) => `回复 ${n} 委派 ${x}`,
  (x, n) => `/edit ${n} 内容 ${x}`,
  (x, n) => `/edit ${n} 截止 ${x}`,
  (x, n) => `/approve ${n} ${x}`,
  (x, n) => `驳回 ${n} ${x}`,
  (x) => `代理人 ${x}`,
  (x) => `假期余额 ${x} 年假 ${x}`,
  (x) => `审批流程 用印 ${x}`,
  (x) => `今日请假 ${x}`,
  (x) => `用印登记 ${x}`,
  (x) => `/setup ${x}`,
  (x) => `/join ${x}`,
  (x) => `/lang ${x}`,
  (x) => `帮助 ${x}`,
];

/** One thing typed to the bot. `commands` are every command name and alias Relay knows. */
function randomInput(r: Random, commands: readonly string[]): string {
  const roll = r.next();
  if (roll < 0.25) return r.pick(TEMPLATES)(r.next() < 0.3 ? r.pick([...SQL, ...MARKUP]) + randomText(r, 8) : randomText(r, 30), r.next() < 0.7 ? String(1 + r.int(30)) : r.pick(NUMBERS));
  if (roll < 0.55) {
    const name = r.pick(commands);
    const args = Array.from({ length: r.int(5) }, () => randomArgument(r)).join(r.pick([" ", "  ", "\u3000", "\n", "，"]));
    const slash = /^[\x21-\x7e]+$/.test(name) || r.next() < 0.5;
    return `${slash ? "/" : ""}${name}${args ? " " + args : ""}`;
  }
  if (roll < 0.62) return r.pick(SQL) + " " + randomText(r, 10);
  if (roll < 0.7) return r.pick(MARKUP) + randomText(r, 10);
  if (roll < 0.75) return "/" + randomText(r, 8); // a broken command name
  if (roll < 0.8) {
    // A 4,000-character line, sometimes a command's: a pasted document.
    const long = Array.from({ length: 4000 }, () => randomChar(r)).join("").slice(0, 4000);
    return r.next() < 0.5 ? `/${r.pick(commands)} ${long}` : long;
  }
  return randomText(r, 60);
}

interface Figures { inputs: number; answered: number; silentInGroups: number; apologies: number; errorLogs: number; actions: number }

describe("fuzzing the core", () => {
  let office: Office;
  const errors: string[] = [];
  const members = ["wang", "li", "zhao", "sun"];

  beforeAll(async () => {
    // Everything at warn and above is kept; error and fatal fail the run.
    const log = pino({ level: "warn" }, { write: (line: string) => void (JSON.parse(line).level >= 50 && errors.push(line)) });
    // Monday 2026-12-07 09:00 in Beijing: "周五17:00" is ahead, whatever day the suite runs on.
    office = await openOffice((process.env.FUZZ_DB as "pglite" | undefined) ?? "postgres", { log, clock: new TestClock(new Date("2026-12-07T01:00:00Z")) });
    // Waiting for the outbox after each input would only slow the run: answers are replies, sent before dispatch returns.
    const join = await setupOffice(office.chat);
    await join("li", "李明", "leader");
    await join("zhao", "赵秘书", "secretary");
    await join("sun", "孙科员", "member", "", "李明");
    office.chat.afterEvent = undefined;
  });
  afterAll(async () => office?.close());

  it(`answers ${COUNT} generated inputs without the apology or an error log (seed ${SEED})`, async () => {
    const router = office.runtime.app.bot.router;
    const commands = router.list().flatMap((spec) => [spec.name, ...spec.aliases]);
    const figures: Figures = { inputs: 0, answered: 0, silentInGroups: 0, apologies: 0, errorLogs: 0, actions: 0 };
    const failures: string[] = [];
    /** Everything anyone said: text that comes back in an answer (a request's title) may hold any of it. */
    const typed: string[] = [];

    const lane = async (index: number) => {
      const r = generator(SEED + index);
      for (let i = index; i < COUNT; i += LANES) {
        // Lane 0..3 are members; the others strangers, each input a new one now and then.
        const who = index < members.length ? members[index]! : `stranger-${index}-${r.int(3)}`;
        const roll = r.next();
        let event: Inbound;
        let input: string;
        const user = { platform: "console" as const, id: who, name: who };
        const inbox = office.chat.inbox(who);
        const buttons = inbox.flatMap((s) => s.buttons.map((b) => ({ ...b, ref: s.ref })));
        const newest = inbox.findLast((s) => s.buttons.length);
        const answeringButtons = newest !== undefined && newest === inbox.at(-1) && r.next() < 0.4; // the last message asks for a press
        if ((roll < 0.1 && buttons.length) || answeringButtons) {
          // A real button: mostly the newest (a preview's 发布), else any old one again; sometimes its value tampered with.
          const button = newest && (answeringButtons || r.next() < 0.6) ? { ...r.pick(newest.buttons), ref: newest.ref } : r.pick(buttons);
          const value = r.next() < 0.5 ? button.value : randomArgument(r);
          event = { kind: "action", action: button.action, value, messageRef: button.ref, user, chat: { platform: "console", id: who, kind: "direct" } };
          input = `[press ${button.action}:${value}]`;
          figures.actions++;
        } else if (roll < 0.13) {
          // A forged button: an action Relay never sent, or a known one with a made-up value.
          const action = r.next() < 0.5 && buttons.length ? r.pick(buttons).action : randomText(r, 10);
          const value = randomArgument(r);
          event = { kind: "action", action, value, user, chat: { platform: "console", id: who, kind: "direct" } };
          input = `[forged ${action}:${value}]`;
          figures.actions++;
        } else {
          input = randomInput(r, commands);
          const inGroup = r.next() < 0.1;
          const chat = inGroup ? { platform: "console" as const, id: `group-${index}`, kind: "group" as const, title: "群" } : { platform: "console" as const, id: who, kind: "direct" as const };
          const command = /^\/(\S+)\s*([\s\S]*)$/.exec(input.trim());
          event = command ? { kind: "command", name: command[1]!, args: command[2]!, user, chat } : { kind: "text", text: input, user, chat };
        }
        const answers = await office.chat.deliver(event);
        figures.inputs++;
        const spokenTo = event.chat.kind === "direct" || event.kind !== "text";
        if (answers.length) figures.answered++;
        else if (!spokenTo) figures.silentInGroups++;
        else failures.push(`no answer to ${who}: ${JSON.stringify(input).slice(0, 300)}`);
        // A message with a hole in it ("undefined", a placeholder left unfilled) is a bug too, unless the person typed it.
        typed.push(input);
        if (process.env.FUZZ_DEBUG && input.startsWith(process.env.FUZZ_DEBUG)) console.log(who, JSON.stringify(input).slice(0, 120), "→", JSON.stringify(answers).slice(0, 300));
        for (const hole of answers.join("\n").match(HOLES) ?? []) if (!typed.some((said) => said.includes(hole))) failures.push(`"${hole}" in the answer to ${who}: ${JSON.stringify(input).slice(0, 200)} → ${JSON.stringify(answers).slice(0, 300)}`);
        if (answers.some((a) => APOLOGY.test(a))) {
          figures.apologies++;
          failures.push(`apology to ${who}: ${JSON.stringify(input).slice(0, 300)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, index) => lane(index)));
    // What the inputs set going (notices, approvers asked) is sent too, without an error.
    await office.runtime.app.outbox.idle(30_000);
    figures.errorLogs = errors.length;

    const prisma = office.runtime.app.prisma;
    const stored = { reminders: await prisma.reminder.count(), circulars: await prisma.circular.count(), requests: await prisma.request.count(), invites: await prisma.invite.count(), units: await prisma.unit.count() };
    console.log(`fuzz (seed ${SEED}): ${JSON.stringify(figures)}; stored ${JSON.stringify(stored)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(figures.inputs).toBe(COUNT);
    expect(figures.answered + figures.silentInGroups).toBe(COUNT);
    expect(figures.apologies).toBe(0);
    // Lanes run at once, so an error line is named by the event and user the router logged with it.
    expect(errors.map((line) => { const { event, user, msg, err } = JSON.parse(line); return { event: String(event).slice(0, 300), user, msg, err: String(err?.message).slice(0, 300) }; })).toEqual([]);
  }, 600_000); // a safety net: quiet, the run takes 15–40 s
});
