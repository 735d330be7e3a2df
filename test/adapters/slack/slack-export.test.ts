// Exports over Slack, end to end against the fake Web API: the file goes up Slack's external way
// (files.getUploadURLExternal → the bytes to the upload URL → files.completeUploadExternal), shared in the chat the
// command came from with the caption as its comment, in the thread when asked in one, and to the person's direct
// chat when a slash command comes from a channel Relay is not in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCsv } from "../../support/csv.ts";
import { appMention } from "../../support/slack-signing.ts";
import { SlackOffice, textOf } from "../../support/slack-office.ts";
import { TestClock } from "../../support/office.ts";

const wang = "U0WANG00001";
const li = "U0LIWEI0001";
const general = "C0GENERAL01";
const header = ["姓名", "单位", "回复", "说明", "委派给", "回复时间", "送达情况", "催办次数"];
const caption = "通知〔2026〕1号（#1）回执表，共 1 行（CSV 文件，可用 Excel/WPS 打开）";

describe("exports over Slack", () => {
  let slack: SlackOffice;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00"));
  beforeAll(async () => {
    slack = await SlackOffice.open({ clock });
    await slack.dm(wang, "/setup 王主任 城关镇");
    await slack.waitFor(wang, "第一位管理员");
    await slack.command(wang, slack.fake.dmWith(wang), "/invite", "李伟 member 党政办 王主任");
    const code = /([A-Z0-9]{4}-?[A-Z0-9]{4})/.exec(textOf(await slack.waitFor(wang, "为 李伟")))![1]!;
    await slack.command(li, slack.fake.dmWith(li), "/relay", `join ${code}`);
    await slack.waitFor(li, "欢迎");
    await slack.dm(wang, "/notice 季度报表 发给 李伟 截止 明天17:00");
    await slack.press(wang, await slack.waitFor(wang, "请确认通知"), "circular.publish");
    await slack.press(li, await slack.waitFor(li, /季度报表/), "circular.ack");
    await slack.waitFor(li, "已记录：收到");
  });
  afterAll(async () => slack?.close());

  it("uploads /export and shares it in the direct chat with its caption, the CSV byte for byte", async () => {
    await slack.dm(wang, "导出 1");
    await expect.poll(() => slack.fake.files(wang).length).toBe(1);
    const [file] = slack.fake.files(wang);
    expect(file).toMatchObject({ name: "circular-1-20261125-100000.csv", title: "circular-1-20261125-100000.csv", initial_comment: caption });
    expect(file!.thread_ts).toBeUndefined();
    expect(readCsv(file!.data)).toEqual({ bom: true, rows: [header, ["李伟", "党政办", "收到", "", "", "2026-11-25 10:00", "已送达", "0"]] });
    // The three steps, in order, and nothing pasted into a message.
    const steps = slack.fake.calls.filter((c) => c.method.startsWith("files.")).map((c) => c.method);
    expect(steps).toEqual(["files.getUploadURLExternal", "files.completeUploadExternal"]);
    expect(slack.fake.callsTo("files.getUploadURLExternal")[0]!.body).toMatchObject({ filename: file!.name, length: String(file!.data.length) });
    expect(slack.fake.posted(wang).filter((m) => /姓名,单位|exports|\.csv/.test(textOf(m)))).toEqual([]);
  });

  it("asked for in a channel (a mention in a thread), sends the file to the person's direct chat and says so in the thread", async () => {
    const thread = "1732700000.000100";
    const before = slack.fake.files(wang).length;
    await slack.post(appMention({ user: wang, channel: general, text: "导出 1", thread_ts: thread }));
    await expect.poll(() => slack.fake.files(wang).length).toBe(before + 1);
    expect(slack.fake.files(general)).toEqual([]);
    await expect.poll(() => slack.fake.posted(general).at(-1)).toMatchObject({ thread_ts: thread, text: expect.stringContaining("导出文件已私聊发给你") });
  });

  it("does the same for a slash command from a channel Relay is not in", async () => {
    const elsewhere = "C0NOTJOINED";
    const before = slack.fake.files(wang).length;
    await slack.command(wang, elsewhere, "/relay", "export 1");
    await expect.poll(() => slack.fake.files(wang).length).toBe(before + 1);
    expect(readCsv(slack.fake.files(wang).at(-1)!.data).rows).toHaveLength(2);
    expect(slack.fake.files(elsewhere)).toEqual([]);
  });

  it("tells the person how to fix an app installed without files:write", async () => {
    slack.fake.failNext("files.getUploadURLExternal", "missing_scope");
    const files = slack.fake.files().length;
    await slack.dm(wang, "导出 1");
    await slack.waitFor(wang, "请管理员在 Slack 应用的 OAuth & Permissions 里加上 files:write 权限，并重新安装应用。");
    expect(slack.fake.files()).toHaveLength(files);
  });

  it("audits each export with the file's name", async () => {
    await slack.dm(wang, "/seal_export");
    await expect.poll(() => slack.fake.files(wang).filter((f) => f.name.startsWith("seal-register-")).length).toBe(1);
    const events = await slack.db.prisma.auditEvent.findMany({ where: { action: { in: ["circular.export", "seal.export"] } }, orderBy: { id: "asc" } });
    expect(events.map((e) => [e.action, (e.data as { file: string }).file])).toEqual([
      ["circular.export", "circular-1-20261125-100000.csv"],
      ["circular.export", "circular-1-20261125-100000.csv"],
      ["circular.export", "circular-1-20261125-100000.csv"],
      ["circular.export", "circular-1-20261125-100000.csv"], // the attempt the missing scope stopped is on record too
      ["seal.export", "seal-register-20261125-100000.csv"],
    ]);
  });
});
