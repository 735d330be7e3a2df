// /setup on an imported roster: the roster has people but no admin who can act, so the first person to
// set up becomes admin, linked to their own roster entry rather than added twice; the others are told.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importRoster } from "../../../src/flows/org/roster-import.ts";
import { openOffice, type Office } from "../../support/office.ts";

const EXAMPLE = fileURLToPath(new URL("../../../docs/roster-example.csv", import.meta.url));

describe.each(["postgres", "pglite"] as const)("setup after an import on %s", (kind) => {
  let office: Office;
  const say = (who: string, text: string, locale?: string) => office.chat.say(who, text, locale);
  const prisma = () => office.runtime.app.prisma;
  const personId = async (name: string) => (await prisma().person.findFirstOrThrow({ where: { name } })).id;

  beforeAll(async () => {
    office = await openOffice(kind);
    expect(await importRoster(prisma(), EXAMPLE)).toMatchObject({ ok: true, created: 8 });
    // 刘芳 (secretary) and 陈建国 already use Relay here, as if imported with console accounts; 赵敏 (member) too.
    for (const [name, account] of [["刘芳", "liu"], ["陈建国", "chen-phone"], ["赵敏", "zhao"]] as const) {
      await prisma().identity.create({ data: { personId: await personId(name), platform: "console", externalId: account } });
    }
  });
  afterAll(async () => office?.close());

  it("offers /setup in /help while nobody can act as admin", async () => {
    const help = (await say("root", "/help"))[0]!;
    expect(help).toContain("初始化 (/setup)");
    expect(help).toContain("本单位还没有管理员");
    expect((await say("liu", "/help"))[0]).toContain("初始化 (/setup)"); // on the roster, and may set up too
  });

  it("refuses an office that is not this one, and a roster name with the wrong unit, saying what is right", async () => {
    expect(await say("root", "/setup 新人 城关镇")).toEqual(["名册中没有“城关镇”这个单位；本单位是：青石镇。请发送：初始化 姓名 青石镇，或不写单位名。"]);
    expect(await say("root", "/setup 陈建国 党政办")).toEqual([
      "名册中的 陈建国 属于“青石镇”（本单位：青石镇），与“党政办”不符。请核对姓名和单位后重试，或不写单位名：初始化 陈建国",
    ]);
    expect(await prisma().person.count({ where: { role: "admin" } })).toBe(0);
  });

  it("links the caller to the imported 陈建国 and makes him admin, without a second 陈建国", async () => {
    const [reply] = await say("root", "/setup 陈建国 青石镇");
    const chen = await personId("陈建国");
    expect(reply).toBe(
      [
        `初始化完成：你的账号已关联到名册中的 陈建国（#${chen}，青石镇），你是第一位管理员。`,
        "角色由“领导”改为“管理员”（每人只有一个角色；请假审批中的单位领导、主要领导按“领导”角色认定）。",
        "下一步：名册中还有 3 人没有聊天账号，用“邀请 姓名”为他们生成邀请码，加入后关联到原记录，例如：邀请 孙强",
      ].join("\n"),
    );
    expect(await prisma().person.count({ where: { name: "陈建国" } })).toBe(1);
    const accounts = await prisma().identity.findMany({ where: { personId: chen }, orderBy: { id: "asc" } });
    expect(accounts.map((i) => `${i.platform}:${i.externalId}`)).toEqual(["telegram:5011000001", "console:chen-phone", "console:root"]);
    expect(await say("root", "/whoami")).toEqual([expect.stringContaining("角色：管理员")]);
    const setup = await prisma().auditEvent.findFirstOrThrow({ where: { action: "roster.setup" } });
    expect(setup).toMatchObject({ actorId: chen, data: { name: "陈建国", linked: true, previousRole: "leader" } });
  });

  it("tells the secretary, and the account the entry already had, but not members", async () => {
    await office.chat.waitFor("liu", "陈建国 已通过初始化成为本单位 Relay 的第一位管理员。");
    const claimed = await office.chat.waitFor("chen-phone", "你在名册中的记录（陈建国）已由另一个账号（console:root）通过初始化关联");
    expect(claimed.text).toContain("如果不是你本人操作");
    expect(office.chat.inbox("zhao")).toEqual([]);
    expect(office.chat.inbox("liu").filter((m) => m.text.includes("已通过初始化成为"))).toHaveLength(1); // told once
  });

  it("is closed once an admin can act: to strangers, to people on the roster, and in /help", async () => {
    expect(await say("intruder", "/setup 刘芳")).toEqual(["本单位已完成初始化。请向管理员索取邀请码，然后发送：加入 邀请码"]);
    expect(await say("liu", "初始化")).toEqual(["本单位已有管理员：陈建国。初始化只在还没有管理员时使用；需要什么，请找管理员。"]);
    expect((await say("intruder", "/help"))[0]).not.toContain("/setup");
    expect((await say("intruder", "/help setup"))[0]).toContain("只在本单位还没有管理员时可用；现在已有管理员。");
    expect(await prisma().person.count({ where: { role: "admin" } })).toBe(1);
  });

  it("lets the admin invite an imported person without an account, linking them to their entry", async () => {
    const [reply] = await say("root", "邀请 孙强");
    expect(reply).toContain(`孙强（#${await personId("孙强")}）已在名册中`);
    const code = /([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(reply!)![1]!;
    expect((await say("sun", `加入 ${code}`))[0]).toContain("欢迎，孙强！你已加入名册（成员，综治办）");
    expect(await prisma().person.count({ where: { name: "孙强" } })).toBe(1);
  });
});

describe("setup by someone whose account was imported", () => {
  let office: Office;
  beforeAll(async () => {
    office = await openOffice("postgres");
    await importRoster(office.runtime.app.prisma, EXAMPLE);
    const liu = await office.runtime.app.prisma.person.findFirstOrThrow({ where: { name: "刘芳" } });
    await office.runtime.app.prisma.identity.create({ data: { personId: liu.id, platform: "console", externalId: "liu" } });
  });
  afterAll(async () => office?.close());

  it("makes them admin themself, and only themself", async () => {
    expect(await office.chat.say("liu", "/setup 陈建国")).toEqual(["你在名册中是 刘芳：初始化只能让你自己成为管理员。请发送：初始化（不写姓名）"]);
    const [reply] = await office.chat.say("liu", "/setup", "en");
    expect(reply).toMatch(/^Set up: your account is now linked to 刘芳 \(#\d+, 党政办\) on the roster, and you are the first admin\.\nYou were a secretary on the roster/);
    expect(await office.runtime.app.prisma.identity.count({ where: { externalId: "liu" } })).toBe(1);
    expect(await office.runtime.app.prisma.person.findFirstOrThrow({ where: { name: "刘芳" } })).toMatchObject({ role: "admin" });
  });
});
