// /audit (审计): an admin reads the trail of a circular, a request or a person, in Chinese and English, checked
// against the hash chain the ordinary flows built; others are told who may; bad input gets usage, unknown
// records the usual answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatLocal } from "../../../src/bot/time-parse.ts";
import { verifyAuditChain } from "../../../src/db/audit-verify.ts";
import { parseSubject } from "../../../src/flows/audit/audit-commands.ts";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("reading /audit's subject", () => {
  it("takes a kind word and a number, or a person's name", () => {
    expect(parseSubject("通知 12")).toEqual({ kind: "circular", id: 12 });
    expect(parseSubject("circular #12")).toEqual({ kind: "circular", id: 12 });
    expect(parseSubject("申请 5")).toEqual({ kind: "request", id: 5 });
    expect(parseSubject("Request 5")).toEqual({ kind: "request", id: 5 });
    expect(parseSubject("王芳")).toEqual({ kind: "person", name: "王芳" });
    expect(parseSubject("person Wang Fang")).toEqual({ kind: "person", name: "Wang Fang" });
    for (const bad of ["", "12", "#12", "通知", "通知 x", "申请 5 6", "person"]) expect(parseSubject(bad)).toBeUndefined();
  });
});

describe.each(["postgres", "pglite"] as const)("/audit on %s", (kind) => {
  let office: Office;
  const clock = new TestClock(new Date("2026-12-01T10:00:00+08:00")); // a Tuesday
  beforeAll(async () => {
    office = await openOffice(kind, { clock });
    const join = await setupOffice(office.chat);
    await join("li", "李主任", "secretary", "综治办", "王主任");
    await join("fang", "王芳", "member", "综治办", "李主任");
    await office.chat.say("wang", "通知 关于报送材料的通知 内容 请周五前报送 发给 综治办 截止 周五17:00");
    await office.chat.press("wang", "circular.publish");
    await office.chat.waitFor("fang", "关于报送材料的通知");
    await office.chat.say("fang", "回复 1 收到 已安排");
    await office.chat.say("fang", "请假 事假 12月3日 家里有事");
    await office.chat.say("li", "批准 1 同意");
  });
  afterAll(async () => office?.close());

  const say = (who: string, text: string, locale?: string) => office.chat.say(who, text, locale);
  const prisma = () => office.runtime.app.prisma;
  /** When the event `action` (the n-th of them) happened, as /audit shows it: in the office's zone. */
  const when = async (action: string, locale: "zh-CN" | "en" = "zh-CN", n = 0) => {
    const event = (await prisma().auditEvent.findMany({ where: { action }, orderBy: { id: "asc" } }))[n]!;
    return formatLocal(event.at, "Asia/Shanghai", locale, clock.now());
  };

  it("shows a circular's trail, oldest first, with a check against the chain", async () => {
    expect(await say("wang", "/audit 通知 1")).toEqual([
      [
        "通知〔2026〕1号（#1）关于报送材料的通知的审计记录，共 2 条：",
        `${await when("circular.publish")} 王主任：发布“关于报送材料的通知”，发给 2 人`,
        `${await when("circular.respond")} 王芳：回复“收到”：已安排`,
        "✓ 这些记录与哈希链相符（只核对了以上几条；全面核对请在服务器上运行 relay audit verify）。",
      ].join("\n"),
    ]);
    expect((await say("wang", "审计 文件 #1"))[0]).toContain("王芳：回复“收到”：已安排");
  });

  it("shows a request's trail in English", async () => {
    expect(await say("wang", "/audit request 1", "en")).toEqual([
      [
        "Audit trail of request #1 (王芳), 2 events:",
        `${await when("request.file", "en")} 王芳: filed a leave request`,
        `${await when("request.approve", "en")} 李主任: approved (step 1): 同意`,
        "✓ These events fit the hash chain (only these were checked; run relay audit verify on the server to check the whole trail).",
      ].join("\n"),
    ]);
  });

  it("shows what a person did and what was done to their entry, saying which record each was about", async () => {
    const [trail] = await say("wang", "审计 王芳");
    expect(trail!.split("\n")).toEqual([
      "王芳（#3）的审计记录，共 3 条：",
      `${await when("person.join", "zh-CN", 1)} 王芳：用邀请码加入（成员，综治办）`,
      `${await when("circular.respond")} 王芳：回复“收到”：已安排（文件 #1）`,
      `${await when("request.file")} 王芳：提交请假申请（申请 #1）`,
      expect.stringMatching(/^✓ /),
    ]);
    expect((await say("wang", "/audit person #2", "en"))[0]).toMatch(/^Audit trail of 李主任 \(#2\), 2 events:\n.+ 李主任: joined with an invite code \(a secretary, 综治办\)\n.+ 李主任: approved \(step 1\): 同意 \(request #1\)\n✓ /);
  });

  it("shows the last 20 of a long trail", async () => {
    for (let i = 0; i < 20; i++) await say("fang", "回复 1 收到");
    const lines = (await say("wang", "审计 通知 1"))[0]!.split("\n");
    expect(lines[0]).toBe("通知〔2026〕1号（#1）关于报送材料的通知的审计记录，最近 20 条（共 22 条）：");
    expect(lines.slice(1, -1)).toHaveLength(20);
    expect(lines.slice(1, -1).every((line) => /王芳：回复“收到”$/.test(line))).toBe(true); // the publication and the first answer are older
  });

  it("refuses anyone but an admin, saying who may, in either language", async () => {
    expect(await say("li", "/audit 通知 1")).toEqual(["只有管理员可以这样做。"]);
    expect(await say("fang", "/audit person 王芳", "en")).toEqual(["Only an admin can do that."]);
  });

  it("answers bad input with usage and unknown records as other commands do", async () => {
    for (const bad of ["/audit", "审计 12", "/audit 通知 一"]) {
      expect(await say("wang", bad)).toEqual([expect.stringMatching(/^用法：\n审计 通知 编号 \/ 审计 申请 编号 \/ 审计 姓名，/)]);
    }
    expect(await say("wang", "/audit", "en")).toEqual([expect.stringMatching(/^Usage:\n\/audit circular NUMBER \| \/audit request NUMBER \| \/audit NAME/)]);
    expect(await say("wang", "审计 通知 99")).toEqual(["没有编号为 #99 的文件。"]);
    expect(await say("wang", "/audit request 99", "en")).toEqual(["There is no request #99."]);
    expect(await say("wang", "审计 赵六")).toEqual(["名册中没有“赵六”。"]);
    expect(await say("wang", "审计 王方")).toEqual(["名册中没有“王方”。你是不是要找 王芳？"]);
    expect(await say("wang", "/audit person Wang", "en")).toEqual(['There is nobody called "Wang" on the roster.']);
    expect(await say("wang", "审计 通知 99999999999")).toEqual(["没有编号为 99999999999 的记录，请核对编号。"]);
  });

  it("the flows above left one intact chain", async () => {
    const rows = await prisma().auditEvent.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(["unit.create", "roster.setup", "invite.create", "person.join", "circular.publish", "circular.respond", "request.file", "request.approve"]),
    );
    const result = await verifyAuditChain(prisma());
    expect([result.break, result.count, result.last?.seq]).toEqual([undefined, rows.length, rows.length]);
  });

  it("says where the shown events no longer fit the chain", async () => {
    const answers = await prisma().auditEvent.findMany({ where: { action: "circular.respond" }, orderBy: { id: "asc" } });
    const changed = answers[answers.length - 5]!;
    await office.runtime.app.db.sql.query(`UPDATE "AuditEvent" SET "data" = jsonb_set("data", '{comment}', '"没收到"') WHERE "id" = $1`, [changed.id]);
    const lines = (await say("wang", "/audit circular 1", "en"))[0]!.split("\n");
    // The trail shows what the row says now; the warning is what tells it was changed.
    expect(lines).toContain(`${await when("circular.respond", "en", answers.length - 5)} 王芳: responded “Received”: 没收到`);
    expect(lines.at(-1)).toBe(
      `⚠ The hash chain does not fit at event #${changed.id} (${await when("circular.respond", "en", answers.length - 5)}): its content no longer matches its hash (the row was changed). Run relay audit verify on the server to look into it.`,
    );
    expect((await say("wang", "审计 通知 1"))[0]).toContain(`⚠ 哈希链在记录 #${changed.id}（${await when("circular.respond", "zh-CN", answers.length - 5)}）处对不上：它的内容与记录时的哈希不符（记录被改过）。`);
  });
});
