// /export (导出): receiptsCsv on its own (quoting, BOM, CRLF, formulas), then end to end on real PostgreSQL
// and Redis: who may export, the CSV file handed over in the chat (read back as a spreadsheet would), long tables
// whole, the audit events.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receiptsCsv, type ExportRow } from "../../../src/flows/circulars/export.ts";
import { csvCell } from "../../../src/flows/csv-export.ts";
import { readCsv } from "../../support/csv.ts";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

const row = (over: Partial<ExportRow>): ExportRow => ({
  name: "甲", unit: "综治办", response: null, comment: null, delegate: null, respondedAt: null, delivery: "sent", chasedCount: 0, ...over,
});

describe("receiptsCsv", () => {
  it("starts with a UTF-8 BOM, ends every record with CRLF, and heads the columns in the reader's language", () => {
    const csv = receiptsCsv([row({})], "zh-CN", "Asia/Shanghai");
    expect(csv.startsWith("\uFEFF姓名,单位,回复,说明,委派给,回复时间,送达情况,催办次数\r\n")).toBe(true);
    expect(csv).toBe("\uFEFF姓名,单位,回复,说明,委派给,回复时间,送达情况,催办次数\r\n甲,综治办,,,,,已送达,0\r\n");
    expect(csv.replace(/\r\n/g, "")).not.toContain("\n");
    expect(receiptsCsv([], "en", "Asia/Shanghai")).toBe("\uFEFFName,Unit,Response,Comment,Delegated to,Responded at,Delivery,Times chased\r\n");
  });

  it("quotes commas, quotes and line breaks (RFC 4180) and leaves other text alone", () => {
    const csv = receiptsCsv(
      [
        row({ response: "ack", comment: '已安排, 明天"上午"报到' }),
        row({ name: "乙", response: "ack", comment: "第一行\n第二行\r\n第三行" }),
        row({ name: "丙", response: "ack", comment: "中文逗号，不用引号" }),
      ],
      "zh-CN",
      "Asia/Shanghai",
    );
    const records = csv.slice(1).split("\r\n");
    expect(records[1]).toBe('甲,综治办,收到,"已安排, 明天""上午""报到",,,已送达,0');
    // The line breaks stay inside one quoted field; splitting on CRLF cuts only the one inside the comment.
    expect(csv).toContain('乙,综治办,收到,"第一行\n第二行\r\n第三行",,,已送达,0\r\n');
    expect(csv).toContain("丙,综治办,收到,中文逗号，不用引号,,,已送达,0\r\n");
    expect(csvCell("")).toBe("");
    expect(csvCell('"')).toBe('""""');
  });

  it("writes response labels, the delegate, the office-time response time, delivery states and chase counts", () => {
    const at = new Date("2026-11-27T07:04:59Z"); // 15:04 in Shanghai
    const csv = receiptsCsv(
      [
        row({ response: "attend", respondedAt: at }),
        row({ name: "乙", response: "decline", comment: "在县里开会", respondedAt: at, chasedCount: 2 }),
        row({ name: "丙", response: "delegate", delegate: "丁", respondedAt: at }),
        row({ name: "丁", unit: null, delivery: "pending" }),
        row({ name: "戊", delivery: "failed" }),
        row({ name: "己", delivery: "uncertain" }),
        row({ name: "庚", delivery: "unreachable", chasedCount: 3 }),
        row({ name: "壬", delivery: "sending" }),
        row({ name: "辛", response: "signed", comment: "同意", respondedAt: at }),
      ],
      "zh-CN",
      "Asia/Shanghai",
    );
    expect(csv.slice(1).split("\r\n").slice(1, -1)).toEqual([
      "甲,综治办,参加,,,2026-11-27 15:04,已送达,0",
      "乙,综治办,不参加,在县里开会,,2026-11-27 15:04,已送达,2",
      "丙,综治办,委派,,丁,2026-11-27 15:04,已送达,0",
      "丁,,,,,,未送达,0",
      "戊,综治办,,,,,送达失败,0",
      "己,综治办,,,,,不明,0",
      "庚,综治办,,,,,无法送达,3",
      "壬,综治办,,,,,发送中,0",
      "辛,综治办,签阅,同意,,2026-11-27 15:04,已送达,0",
    ]);
    const en = receiptsCsv([row({ name: "Li", response: "decline", respondedAt: at, delivery: "unreachable" })], "en", "Europe/London");
    expect(en.slice(1).split("\r\n")[1]).toBe("Li,综治办,Decline,,,2026-11-27 07:04,Unreachable,0");
  });

  it("defuses text a spreadsheet would run as a formula", () => {
    expect(csvCell("=HYPERLINK(\"http://x\")")).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell("+86 138")).toBe("'+86 138");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("同意 = 好")).toBe("同意 = 好");
  });
});

describe("/export", () => {
  let office: Office;
  let dataDir: string;
  // Wednesday 25 November 2026, 10:00 in Shanghai.
  const clock = new TestClock(new Date("2026-11-25T02:00:00Z"));
  const people = [["jia", "甲"], ["yi", "乙"], ["bing", "丙"], ["ding", "丁"], ["wu", "戊"]] as const;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "relay-export-"));
    office = await openOffice("postgres", { clock, env: { RELAY_DATA_DIR: dataDir } });
    const enrol = await setupOffice(office.chat);
    await enrol("zhao", "赵秘书", "secretary", "党政办", "王主任");
    await enrol("leader", "陈书记", "leader", "城关镇");
    for (const [id, name] of people) await enrol(id, name, "member", "综治办", "王主任");
  });
  afterAll(async () => {
    await office?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const chat = () => office.chat;
  const prisma = () => office.runtime.app.prisma;
  /** The newest file `who` was sent, read back as a spreadsheet would. */
  const lastFile = (who: string) => {
    const file = chat().files(who).at(-1);
    if (!file) throw new Error(`no file was sent to ${who}`);
    return { ...file, ...readCsv(file.data) };
  };
  const header = ["姓名", "单位", "回复", "说明", "委派给", "回复时间", "送达情况", "催办次数"];

  it("hands the author the receipts as a CSV file, with a one-line caption and no table in the message", async () => {
    await chat().say("zhao", "通知 关于开展安全生产大检查的通知 发给 综治办 截止 3个工作日内");
    expect(await chat().press("zhao", "circular.publish")).toEqual([expect.stringContaining("已发布 通知〔2026〕1号（#1），共 5 人")]);
    await expect.poll(() => prisma().receipt.count({ where: { circularId: 1, delivery: "sent" } })).toBe(5);

    clock.advance(5 * 60_000); // 10:05
    await chat().press("jia", "circular.ack");
    clock.advance(60_000); // 10:06
    await chat().say("yi", '回复 1 已安排专人, 明天"上午"报到');
    // Chasing is another flow; here the counts and a refused delivery are set as it would leave them.
    const wu = await prisma().person.findFirstOrThrow({ where: { name: "戊" } });
    await prisma().receipt.update({ where: { circularId_personId: { circularId: 1, personId: wu.id } }, data: { delivery: "unreachable", chasedCount: 2 } });

    expect(await chat().say("zhao", "/export 1")).toEqual(["通知〔2026〕1号（#1）回执表，共 5 行（CSV 文件，可用 Excel/WPS 打开）"]);
    const file = lastFile("zhao");
    expect(file).toMatchObject({ filename: "circular-1-20261125-100600.csv", mimeType: "text/csv", caption: "通知〔2026〕1号（#1）回执表，共 5 行（CSV 文件，可用 Excel/WPS 打开）" });
    expect(file.bom).toBe(true); // Excel and WPS read a CSV without one as GBK
    expect(file.rows).toEqual([
      header,
      ["甲", "综治办", "收到", "", "", "2026-11-25 10:05", "已送达", "0"],
      ["乙", "综治办", "收到", '已安排专人, 明天"上午"报到', "", "2026-11-25 10:06", "已送达", "0"],
      ["丙", "综治办", "", "", "", "", "已送达", "0"],
      ["丁", "综治办", "", "", "", "", "已送达", "0"],
      ["戊", "综治办", "", "", "", "", "无法送达", "2"],
    ]);
    // Nothing of it was kept on the server for a chat user.
    expect(existsSync(join(dataDir, "exports"))).toBe(false);
  });

  it("asked for in a group, hands the file over in a direct chat, never into the group", async () => {
    const group = "export-group";
    const before = chat().files("zhao").length;
    expect(await chat().say("zhao", "导出 1", undefined, group)).toEqual(["导出文件已私聊发给你（回执含姓名和说明，不发到群里）。"]);
    expect(chat().files(group)).toEqual([]);
    expect(chat().files("zhao")).toHaveLength(before + 1);
    expect(lastFile("zhao").rows[0]).toEqual(header);
  });

  it("refuses anyone but the author or an admin, saying who may; an admin may", async () => {
    const files = chat().files().length;
    expect(await chat().say("jia", "/export 1")).toEqual(["只有发文人或管理员可以导出回执。"]);
    expect(await chat().say("leader", "导出 1")).toEqual(["只有发文人或管理员可以导出回执。"]);
    expect(chat().files()).toHaveLength(files);
    await chat().say("wang", "导出 #1");
    expect(lastFile("wang").rows).toHaveLength(6);
    expect(lastFile("wang").rows[0]).toEqual(header);
    expect(await chat().say("zhao", "导出 99")).toEqual(["没有编号为 #99 的文件。"]);
    expect(await chat().say("zhao", "/export")).toEqual(["用法：\n导出 编号，例如：导出 12"]);
  });

  it("heads the columns and the caption in the language of whoever exports", async () => {
    expect(await chat().say("wang", "/lang en")).toEqual(["Language set to English."]);
    expect(await chat().say("wang", "/export 1")).toEqual(["Receipts of Notice 2026/1 (#1): 5 rows (CSV, opens in Excel/WPS)"]);
    const { rows } = lastFile("wang");
    expect(rows[0]).toEqual(["Name", "Unit", "Response", "Comment", "Delegated to", "Responded at", "Delivery", "Times chased"]);
    expect(rows[1]).toEqual(["甲", "综治办", "Received", "", "", "2026-11-25 10:05", "Delivered", "0"]);
    await chat().say("wang", "/lang zh");
  });

  it("shows who was delegated to for a meeting", async () => {
    await chat().say("zhao", "会议 党委会 时间 明天上午9点 地点 三楼会议室 发给 综治办");
    await chat().press("zhao", "circular.publish");
    await chat().waitFor("bing", "【会议通知】会议〔2026〕1号（#2）");
    await chat().say("jia", "回复 2 不参加 在县里开会");
    await chat().say("bing", "回复 2 委派 陈书记");
    expect(await chat().say("zhao", "导出 2")).toEqual(["会议〔2026〕1号（#2）回执表，共 6 行（CSV 文件，可用 Excel/WPS 打开）"]);
    const { rows, filename } = lastFile("zhao");
    expect(filename).toBe("circular-2-20261125-100600.csv");
    expect(rows).toContainEqual(["甲", "综治办", "不参加", "在县里开会", "", "2026-11-25 10:06", "已送达", "0"]);
    expect(rows).toContainEqual(["丙", "综治办", "委派", "", "陈书记", "2026-11-25 10:06", "已送达", "0"]);
    expect(rows.find((r) => r[0] === "陈书记")?.join(",")).toMatch(/^陈书记,城关镇,,,,,(未送达|发送中|已送达),0$/); // their copy may still be on its way
  });

  it("sends a long table whole, as a file like any other, and keeps nothing on the server", async () => {
    const long = "情况说明".repeat(900); // 3,600 characters: more than a chat message holds
    await chat().say("ding", `回复 1 ${long}`);
    expect(await chat().say("zhao", "导出 1")).toEqual(["通知〔2026〕1号（#1）回执表，共 5 行（CSV 文件，可用 Excel/WPS 打开）"]);
    const file = lastFile("zhao");
    expect(file.rows).toContainEqual(["丁", "综治办", "收到", long, "", "2026-11-25 10:06", "已送达", "0"]);
    expect(file.data.toString("utf8").replace(/\r\n/g, "")).not.toContain("\n"); // CRLF between records, never a bare LF
    // A second export in the same second is a second file of the same name: nothing is overwritten in a chat.
    await chat().say("wang", "导出 1");
    expect(lastFile("wang").filename).toBe("circular-1-20261125-100600.csv");
    expect(chat().inbox("zhao").some((m) => m.text.includes(dataDir) || m.text.includes("exports"))).toBe(false);
    expect(existsSync(join(dataDir, "exports"))).toBe(false);
  });

  it("records every export in the audit log with its row count and file name", async () => {
    const events = await prisma().auditEvent.findMany({ where: { action: "circular.export" }, orderBy: { id: "asc" }, include: { actor: true } });
    expect(events.map((e) => [e.actor?.name, e.entity, e.entityId])).toEqual([
      ["赵秘书", "Circular", "1"],
      ["赵秘书", "Circular", "1"], // asked for in a group
      ["王主任", "Circular", "1"],
      ["王主任", "Circular", "1"],
      ["赵秘书", "Circular", "2"],
      ["赵秘书", "Circular", "1"],
      ["王主任", "Circular", "1"],
    ]);
    expect(events[0]!.data).toEqual({ rows: 5, file: "circular-1-20261125-100600.csv" });
    expect(events[4]!.data).toEqual({ rows: 6, file: "circular-2-20261125-100600.csv" });
  });
});
