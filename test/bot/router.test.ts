// The router: aliases in both languages, permissions, and the one error boundary.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.ts";
import { UserError } from "../../src/bot/errors.ts";
import type { Member } from "../../src/bot/member.ts";
import { TestAdapter } from "../support/test-adapter.ts";

function member(role: Member["role"], locale: string | null = null): Member {
  return { id: 1, name: "王主任", role, locale, timeZone: null, unitId: null, unitName: null, supervisorId: null, identityId: 1 };
}

/** A bot whose only roster person is "wang" with `role`, and a log that records what it is told. */
async function botWith(role: Member["role"] = "member") {
  const logged: Record<string, unknown>[] = [];
  const log = pino({ level: "error" }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const bot = new Bot({ log, defaultLocale: "zh-CN", identify: async (user) => (user.id === "wang" ? member(role) : null) });
  const chat = new TestAdapter();
  bot.addAdapter(chat);
  await bot.start();
  const seen: string[] = [];
  bot.router.command({
    name: "echo", aliases: ["回声"], audience: "roster", summary: "help.summary", usage: "help.usage",
    run: async (ctx) => void (await ctx.reply(`echo:${ctx.args}`)),
  });
  bot.router.command({
    name: "echolist", aliases: ["回声列表"], audience: "roster", summary: "help.summary", usage: "help.usage",
    run: async (ctx) => void (await ctx.reply(`list:${ctx.args}`)),
  });
  bot.router.command({
    name: "boom", aliases: [], audience: "roster", summary: "help.summary", usage: "help.usage",
    run: async () => {
      seen.push("boom");
      throw new Error("database on fire");
    },
  });
  bot.router.command({
    name: "nope", aliases: [], audience: "roster", summary: "help.summary", usage: "help.usage",
    run: async () => {
      throw new UserError("org.noSuchUnit", { name: "X", known: "A、B" });
    },
  });
  bot.router.command({
    name: "boss", aliases: ["老板"], audience: ["admin", "leader"], summary: "help.summary", usage: "help.usage",
    run: async (ctx) => void (await ctx.reply("yes boss")),
  });
  return { bot, chat, logged, seen };
}

describe("router", () => {
  it("reaches a command by /name, by /别名 and by plain-text alias", async () => {
    const { chat } = await botWith();
    expect(await chat.say("wang", "/echo hi")).toEqual(["echo:hi"]);
    expect(await chat.say("wang", "/ECHO hi")).toEqual(["echo:hi"]);
    expect(await chat.say("wang", "/回声 你好")).toEqual(["echo:你好"]);
    expect(await chat.say("wang", "回声 你好")).toEqual(["echo:你好"]);
    expect(await chat.say("wang", "回声你好")).toEqual(["echo:你好"]); // no space needed in Chinese, in a direct chat
    expect(await chat.say("wang", "回声列表 a")).toEqual(["list:a"]); // the longest alias wins
    expect(await chat.say("wang", "echo  spaced  ")).toEqual(["echo:spaced"]);
    expect(await chat.say("wang", "echoes")).toEqual(["没听懂这句话。发送“帮助”或 /help 查看可用命令。"]);
  });

  it("stays quiet in a group unless spoken to", async () => {
    const { bot, chat } = await botWith();
    const group = { platform: "console" as const, id: "g1", kind: "group" as const };
    const user = { platform: "console" as const, id: "wang" };
    await bot.handle({ kind: "text", text: "回声一下吧", user, chat: group });
    await bot.handle({ kind: "text", text: "今天开会吗", user, chat: group });
    expect(chat.inbox("g1")).toEqual([]);
    await bot.handle({ kind: "text", text: "回声 大家好", user, chat: group });
    expect(chat.lastTo("g1")).toBe("echo:大家好");
  });

  it("reads text said to the bot in a group (a mention) as in a direct chat, and answers what it does not understand", async () => {
    const { bot, chat } = await botWith();
    const group = { platform: "console" as const, id: "C0GROUP0001", kind: "group" as const };
    const user = { platform: "console" as const, id: "wang" };
    await bot.handle({ kind: "text", text: "回声一下吧", user, chat: group, addressed: true });
    expect(chat.lastTo("C0GROUP0001")).toBe("echo:一下吧");
    await bot.handle({ kind: "text", text: "今天开会吗", user, chat: group, addressed: true });
    expect(chat.lastTo("C0GROUP0001")).toBe("没听懂这句话。发送“帮助”或 /help 查看可用命令。");
  });

  it("takes a polite lead-in before a command word when spoken to, not between colleagues", async () => {
    const { bot, chat } = await botWith();
    expect(await chat.say("wang", "我要回声 你好")).toEqual(["echo:你好"]);
    expect(await chat.say("wang", "我想回声")).toEqual(["echo:"]);
    expect(await chat.say("wang", "请帮我回声 a")).toEqual(["echo:a"]);
    expect(await chat.say("wang", "我要休息")).toEqual(["没听懂这句话。发送“帮助”或 /help 查看可用命令。"]);
    expect(await chat.say("wang", "please echo hi")).toEqual(["echo:hi"]);
    expect(await chat.say("wang", "Could you please echo hi")).toEqual(["echo:hi"]);
    expect(await chat.say("wang", "pleased to meet you")).toEqual(["没听懂这句话。发送“帮助”或 /help 查看可用命令。"]);
    const group = { platform: "console" as const, id: "g2", kind: "group" as const };
    await bot.handle({ kind: "text", text: "我要回声 大家好", user: { platform: "console", id: "wang" }, chat: group });
    expect(chat.inbox("g2")).toEqual([]);
  });

  it("says who may do it when the role does not allow it", async () => {
    const { chat } = await botWith("member");
    expect(await chat.say("wang", "老板")).toEqual(["只有管理员或领导可以这样做。"]);
    expect(await chat.say("wang", "/boss", "en")).toEqual(["Only an admin or a leader can do that."]); // no chosen locale: the app's
    const admin = await botWith("admin");
    expect(await admin.chat.say("wang", "/boss")).toEqual(["yes boss"]);
  });

  it("suggests the nearest command for a mistyped one, in either language, and nothing when none is near", async () => {
    const { bot, chat } = await botWith();
    bot.router.command({
      name: "secret", aliases: ["秘密"], audience: "anyone", summary: "help.summary", usage: "help.usage", hidden: true,
      run: async (ctx) => void (await ctx.reply("psst")),
    });
    expect(await chat.say("wang", "/ecoh hi")).toEqual(["没有这个命令：ecoh。你是不是想用 回声 (/echo)？"]); // letters swapped
    expect(await chat.say("wang", "/回生 你好")).toEqual(["没有这个命令：回生。你是不是想用 回声 (/echo)？"]);
    expect(await chat.say("wang", "/echolsit")).toEqual(["没有这个命令：echolsit。你是不是想用 回声列表 (/echolist)？"]);
    expect(await chat.say("wang", "/ecoh", "en")).toEqual(['There is no command "ecoh". Did you mean /echo?']);
    expect(await chat.say("wang", "/frobnicate")).toEqual(["没有“frobnicate”这个命令。发送“帮助”或 /help 查看可用命令。"]);
    expect(await chat.say("wang", "/secrt")).toEqual(["没有“secrt”这个命令。发送“帮助”或 /help 查看可用命令。"]); // hidden: never offered
    expect(await chat.say("stranger", "/ecoh")).toEqual(["没有这个命令：ecoh。你是不是想用 回声 (/echo)？"]);
  });

  it("offers the nearest command for text that looks like a mistyped one, not for every sentence", async () => {
    const { bot, chat } = await botWith();
    const notUnderstood = "没听懂这句话。发送“帮助”或 /help 查看可用命令。";
    expect(await chat.say("wang", "回生 你好")).toEqual(["没听懂这句话。你是不是想用 回声 (/echo)？"]);
    expect(await chat.say("wang", "ecoh hi", "en")).toEqual(["I did not understand that. Did you mean /echo?"]);
    expect(await chat.say("wang", "老版")).toEqual(["没听懂这句话。你是不是想用 老板 (/boss)？"]);
    expect(await chat.say("wang", "今天天气不错")).toEqual([notUnderstood]);
    expect(await chat.say("wang", "echoes")).toEqual([notUnderstood]); // two letters off a short name: another word
    expect(await chat.say("stranger", "你好")).toEqual(["你还不在本单位名册中。请向办公室索取邀请码，然后发送：加入 邀请码"]);
    // Between colleagues in a group, nothing at all.
    await bot.handle({ kind: "text", text: "回生 大家好", user: { platform: "console", id: "wang" }, chat: { platform: "console", id: "g3", kind: "group" } });
    expect(chat.inbox("g3")).toEqual([]);
  });

  it("turns a UserError into its message, not an apology", async () => {
    const { chat, logged } = await botWith();
    expect(await chat.say("wang", "/nope")).toEqual(["没有名为“X”的单位。现有单位：A、B"]);
    expect(logged).toEqual([]);
  });

  it("survives a crashing handler: logs it with context, apologises, and keeps serving", async () => {
    const { chat, logged, seen } = await botWith();
    expect(await chat.say("wang", "/boom")).toEqual([expect.stringContaining("抱歉，处理时出了点问题")]);
    expect(seen).toEqual(["boom"]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: "handler failed", event: "/boom", user: "console:wang", person: 1, err: { message: "database on fire" } });
    expect(await chat.say("wang", "/echo still here")).toEqual(["echo:still here"]);
  });

  it("apologises in English to an English speaker who is not on the roster when lookup fails", async () => {
    const logged: unknown[] = [];
    const bot = new Bot({ log: pino({ level: "error" }, { write: (l: string) => void logged.push(l) }), defaultLocale: "zh-CN", identify: async () => { throw new Error("db down"); } });
    const chat = new TestAdapter();
    bot.addAdapter(chat);
    await bot.start();
    expect(await chat.say("x", "/help", "en")).toEqual([expect.stringContaining("Sorry, something went wrong")]);
    expect(logged).toHaveLength(1);
  });

  it("answers a button it does not know with a stale-button note", async () => {
    const { bot, chat } = await botWith();
    const handled = await bot.handle({ kind: "action", action: "gone.away", value: "1", user: { platform: "console", id: "wang" }, chat: { platform: "console", id: "wang", kind: "direct" } });
    expect(handled).toEqual({ toast: "这个按钮已失效，请重新发起。" });
    expect(chat.inbox("wang")).toEqual([]);
  });

  it("asks an anonymous group admin to use their own account, without looking them up", async () => {
    const { bot, chat } = await botWith();
    const group = { platform: "console" as const, id: "g1", kind: "group" as const };
    await bot.handle({ kind: "command", name: "echo", args: "hi", user: { platform: "console", id: "wang", anonymous: true }, chat: group });
    expect(chat.lastTo("g1")).toContain("匿名管理员");
  });
});
