// Seal use (用印) end to end: filing in Chinese and English, the office director's approval numbering the
// register without gaps, a rejection numbering nothing, the register and its CSV, who may see them — on real
// PostgreSQL and Redis. The form parser is checked on its own first.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSealForm } from "../../../src/flows/requests/seal.ts";
import { readCsv } from "../../support/csv.ts";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("parseSealForm", () => {
  it("reads the seal, document, copies and purpose in Chinese, with spaces or commas", () => {
    expect(parseSealForm("公章 关于申请项目资金的报告 3份 用途 报县财政局")).toEqual({ seal: "official", document: "关于申请项目资金的报告", copies: 3, purpose: "报县财政局" });
    expect(parseSealForm("公章，关于申请项目资金的报告，三份，用途：报县财政局，申请资金。")).toEqual({
      seal: "official", document: "关于申请项目资金的报告", copies: 3, purpose: "报县财政局，申请资金",
    });
    expect(parseSealForm("印章 项目专用章 《关于A、B的报告》 事由 报送上级")).toEqual({ seal: "项目专用章", document: "《关于A、B的报告》", copies: 1, purpose: "报送上级" });
    expect(parseSealForm("法人章 授权委托书 十二份 用于：办理银行开户")?.copies).toBe(12);
  });

  it("reads English flags, with quotes around names that have spaces", () => {
    expect(parseSealForm('--seal official --doc "Funding report" --copies 3 --purpose county finance bureau')).toEqual({
      seal: "official", document: "Funding report", copies: 3, purpose: "county finance bureau",
    });
    expect(parseSealForm("--doc expense claim --purpose reimbursement --seal finance --copies=2")).toEqual({ seal: "finance", document: "expense claim", copies: 2, purpose: "reimbursement" });
  });

  it("reads English seal names before the document, N copies and purpose", () => {
    expect(parseSealForm("official-seal budget report 2 copies purpose submit to county finance bureau")).toEqual({
      seal: "official", document: "budget report", copies: 2, purpose: "submit to county finance bureau",
    });
    expect(parseSealForm("finance seal invoice list 1 copy purpose: tax office")).toEqual({ seal: "finance", document: "invoice list", copies: 1, purpose: "tax office" });
    expect(parseSealForm("legal-rep-seal power of attorney three copies purpose open a bank account")?.seal).toBe("legalRep");
    // A bare English word is the title's: "official report" is a document, stamped with the default seal.
    expect(parseSealForm("official report on the floods purpose county")).toEqual({ seal: "official", document: "official report on the floods", copies: 1, purpose: "county" });
    expect(parseSealForm("party report purpose archive")?.document).toBe("party report");
  });

  it("needs a document and a purpose, and a sensible number of copies", () => {
    expect(parseSealForm("公章 关于申请项目资金的报告 3份")).toBeUndefined();
    expect(parseSealForm("公章 3份 用途 报县财政局")).toBeUndefined();
    expect(parseSealForm("公章 报告 0份 用途 报县财政局")).toBeUndefined();
    expect(parseSealForm("")).toBeUndefined();
  });
});

describe("seal use", () => {
  let office: Office;
  let dataDir: string;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00")); // Wednesday
  const prisma = () => office.runtime.app.prisma;
  const chat = () => office.chat;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "relay-seal-"));
    office = await openOffice("postgres", { clock, env: { RELAY_DATA_DIR: dataDir } });
    const join_ = await setupOffice(office.chat);
    // A secretary of a sub-unit joins first: the director is the secretary of the root unit, not the oldest one.
    await join_("zhao", "赵秘书", "secretary", "综治办");
    await join_("li", "李主任", "secretary", "城关镇");
    await join_("chen", "陈书记", "leader", "城关镇");
    await join_("jia", "甲", "member", "综治办", "赵秘书");
    await join_("yi", "乙", "member", "综治办", "赵秘书");
  });
  afterAll(async () => {
    await office?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("files with the office director, who approves by button; the register numbers it and the requester is told", async () => {
    const [filed] = await chat().say("jia", "用印 公章 关于申请项目资金的报告 3份 用途 报县财政局");
    expect(filed).toBe("已提交用印申请 #1，等待 李主任 审批。\n用印：公章 关于申请项目资金的报告 3份；用途：报县财政局");
    const ask = await chat().waitFor("li", "甲 的申请 #1 等待你审批");
    expect(ask.text).toContain("用印：公章 关于申请项目资金的报告 3份；用途：报县财政局");
    expect(await chat().press("li", "request.approve")).toEqual(["已批准申请 #1，申请人会收到通知。"]);
    await chat().waitFor("jia", "用印申请 #1 已登记：用印登记 〔2026〕第 1 号");
    await chat().waitFor("jia", "你的申请 #1 已获批准（李主任）。");
    const entry = await prisma().sealEntry.findUniqueOrThrow({ where: { requestId: 1 } });
    expect(entry).toMatchObject({ year: 2026, serial: 1, seal: "official", document: "关于申请项目资金的报告", copies: 3, purpose: "报县财政局" });
    expect(entry.createdAt).toEqual(new Date("2026-11-25T10:00:00+08:00")); // the office clock, not the database's
  });

  it("gives the next approval the next number", async () => {
    clock.set(new Date("2026-11-27T15:00:00+08:00"));
    const [filed] = await chat().say("yi", '/seal --seal finance --doc "Expense claim, Q4" --copies 2 --purpose reimbursement');
    expect(filed).toBe("已提交用印申请 #2，等待 李主任 审批。\n用印：财务章 Expense claim, Q4 2份；用途：reimbursement");
    await chat().say("li", "批准 2 同意");
    await chat().waitFor("yi", "用印登记 〔2026〕第 2 号");
    expect((await prisma().sealEntry.findUniqueOrThrow({ where: { requestId: 2 } })).serial).toBe(2);
  });

  it("numbers nothing for a rejected request", async () => {
    await chat().say("jia", "用印 合同章 办公用房租赁合同 2份 用途 签订租赁合同");
    expect(await chat().say("li", "驳回 3 合同条款未经法律顾问审核")).toEqual(["已驳回申请 #3，申请人会收到通知。"]);
    await chat().waitFor("jia", "你的申请 #3 被驳回（李主任）");
    expect(await prisma().sealEntry.findUnique({ where: { requestId: 3 } })).toBeNull();
    expect(await prisma().sealEntry.count()).toBe(2);
  });

  it("never sends the director's own request to the director", async () => {
    const [filed] = await chat().say("li", "用印 公章 工作总结 用途 报县委办");
    expect(filed).toMatch(/^已提交用印申请 #4，等待 赵秘书 审批。/);
    await chat().say("li", "撤销申请 4");
  });

  it("shows the register, optionally between two dates, to secretaries and leaders", async () => {
    const first = "〔2026〕第1号 11月25日 公章 关于申请项目资金的报告 3份 报县财政局 — 申请人 甲，批准人 李主任";
    const second = "〔2026〕第2号 11月27日 财务章 Expense claim, Q4 2份 reimbursement — 申请人 乙，批准人 李主任";
    expect(await chat().say("li", "用印登记")).toEqual([`用印登记，共 2 条：\n${first}\n${second}`]);
    // "11月26日" in late November is next year's to the time parser; a register looks back.
    expect(await chat().say("chen", "用印登记 11月26日 到 11月30日")).toEqual([`用印登记（2026-11-26至2026-11-30），共 1 条：\n${second}`]);
    expect(await chat().say("chen", "/seal_register 2026-11-25 2026-11-25")).toEqual([`用印登记（2026-11-25至2026-11-25），共 1 条：\n${first}`]);
    expect(await chat().say("li", "用印登记 12月1日")).toEqual(["没有用印登记（2026-12-01起）。"]);
    expect((await chat().say("li", "用印登记 随便"))[0]).toContain("用法：");
  });

  it("refuses the register and its export to a member, saying who may", async () => {
    expect(await chat().say("jia", "用印登记")).toEqual(["只有管理员或领导或秘书可以这样做。"]);
    expect(await chat().say("jia", "导出用印登记")).toEqual(["只有管理员或领导或秘书可以这样做。"]);
  });

  it("hands out the register as a CSV file with its columns, and audits the export", async () => {
    expect(await chat().say("wang", "导出用印登记")).toEqual(["用印登记表，共 2 行（CSV 文件，可用 Excel/WPS 打开）"]);
    const file = chat().files("wang").at(-1)!;
    expect(file).toMatchObject({ filename: "seal-register-20261127-150000.csv", mimeType: "text/csv" });
    expect(readCsv(file.data)).toEqual({
      bom: true,
      rows: [
        ["编号", "日期", "印章", "文件", "份数", "用途", "申请人", "批准人"],
        ["〔2026〕第1号", "2026-11-25", "公章", "关于申请项目资金的报告", "3", "报县财政局", "甲", "李主任"],
        ["〔2026〕第2号", "2026-11-27", "财务章", "Expense claim, Q4", "2", "reimbursement", "乙", "李主任"],
      ],
    });
    const events = await prisma().auditEvent.findMany({ where: { action: "seal.export" } });
    expect(events.map((e) => e.data)).toEqual([{ rows: 2, from: null, to: null, file: "seal-register-20261127-150000.csv" }]);
    const registered = await prisma().auditEvent.findMany({ where: { action: "seal.register" }, orderBy: { id: "asc" } });
    expect(registered.map((e) => e.data)).toEqual([{ requestId: 1, year: 2026, serial: 1 }, { requestId: 2, year: 2026, serial: 2 }]);
  });

  it("exports a range, with the caption in the reader's language", async () => {
    await chat().say("chen", "/lang en");
    expect(await chat().say("chen", "/seal_export 2026-11-27 2026-11-27")).toEqual(["Seal register (2026-11-27 to 2026-11-27), 1 row (CSV, opens in Excel/WPS)"]);
    const { rows } = readCsv(chat().files("chen").at(-1)!.data);
    expect(rows).toEqual([
      ["Number", "Date", "Seal", "Document", "Copies", "Purpose", "Requested by", "Approved by"],
      ["[2026] No. 2", "2026-11-27", "finance seal", "Expense claim, Q4", "2", "reimbursement", "乙", "李主任"],
    ]);
    await chat().say("chen", "/lang zh");
  });

  it("usage on a missing purpose or document", async () => {
    const [noPurpose] = await chat().say("jia", "用印 公章 关于申请项目资金的报告 3份");
    expect(noPurpose).toMatch(/^用法：\n用印 /);
    expect((await chat().say("jia", "用印"))[0]).toMatch(/^用法：/);
    expect(await prisma().request.count({ where: { kind: "seal" } })).toBe(4);
  });

  it("sends a long export whole as a file, keeping nothing on the server, and shows only the newest entries of a long register", async () => {
    const jia = await prisma().person.findFirstOrThrow({ where: { name: "甲" } });
    for (let serial = 3; serial <= 62; serial++) {
      await prisma().request.create({
        data: {
          kind: "seal", requesterId: jia.id, status: "approved", reason: "存档", form: {},
          seal: { create: { year: 2026, serial, seal: "official", document: `关于第${serial}批农村人居环境整治项目资金使用情况的报告（附明细表及验收材料）`, copies: 1, purpose: "存档", createdAt: clock.now() } },
        },
      });
    }
    expect(await chat().say("li", "导出用印登记")).toEqual(["用印登记表，共 62 行（CSV 文件，可用 Excel/WPS 打开）"]);
    const file = chat().files("li").at(-1)!;
    const csv = readCsv(file.data);
    expect(csv.bom).toBe(true);
    expect(csv.rows).toHaveLength(63); // header and 62 rows
    expect(csv.rows.at(-1)).toEqual(["〔2026〕第62号", "2026-11-27", "公章", "关于第62批农村人居环境整治项目资金使用情况的报告（附明细表及验收材料）", "1", "存档", "甲", "—"]);
    expect(existsSync(join(dataDir, "exports"))).toBe(false);

    const [register] = await chat().say("li", "用印登记");
    expect(register!.length).toBeLessThan(4096);
    expect(register).toMatch(/^用印登记，共 62 条：\n/);
    expect(register).toContain("〔2026〕第62号");
    expect(register).not.toContain("〔2026〕第1号");
    expect(register).toMatch(/（只显示最近 \d+ 条，共 62 条；全部请用：导出用印登记，会发来 CSV 文件）$/);
    // …and that command does send them all.
    const [more] = /全部请用：(\S+?)，/.exec(register!)!.slice(1);
    expect(await chat().say("li", more!)).toEqual(["用印登记表，共 62 行（CSV 文件，可用 Excel/WPS 打开）"]);
    expect(readCsv(chat().files("li").at(-1)!.data).rows).toHaveLength(63);
  });
  it("numbers an approved request whose numbering failed, once its job comes back", async () => {
    // What a failure right after the approval leaves: the request approved, no register entry, no job.
    const [filed] = await chat().say("yi", "用印 公章 补登的报告 用途 存档");
    const id = Number(/#(\d+)/.exec(filed!)![1]);
    const approver = (await prisma().requestStep.findFirstOrThrow({ where: { requestId: id } })).approverId;
    const who = (await prisma().identity.findFirstOrThrow({ where: { personId: approver } })).externalId;
    await chat().say(who, `批准 ${id}`);
    await expect.poll(() => prisma().sealEntry.findUnique({ where: { requestId: id } })).not.toBeNull();
    const { serial } = await prisma().sealEntry.delete({ where: { requestId: id } });
    await office.runtime.app.scheduler.cancel(`seal-register-q${id}`);
    expect(await office.runtime.app.scheduler.reconcile()).toBeGreaterThanOrEqual(1);
    await expect.poll(() => prisma().sealEntry.findUnique({ where: { requestId: id } })).toMatchObject({ serial });
    expect(await office.runtime.app.scheduler.reconcile()).toBe(0); // numbered: nothing left to do
  });
});
