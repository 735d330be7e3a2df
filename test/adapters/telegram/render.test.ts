// Outbound → Telegram payloads: escaping, marks, keyboards within 64 bytes, splitting at 4,096.
import { describe, expect, it } from "vitest";
import { decodeCallback, encodeCallback, escapeHtml, render } from "../../../adapters/telegram/render.ts";
import { parseHtml } from "../../support/fake-telegram.ts";

describe("render", () => {
  it("escapes user text and renders marks", () => {
    const [m] = render({
      text: ["通知：", { bold: "<周五>全体会" }, " 见 ", { link: "材料", url: 'https://x.gov.cn/a?b=1&c="2"' }, " ", { mention: { platform: "telegram", id: "1002" }, label: "李明" }, " & 其他"],
    });
    expect(m!.text).toBe(
      '通知：<b>&lt;周五&gt;全体会</b> 见 <a href="https://x.gov.cn/a?b=1&amp;c=&quot;2&quot;">材料</a> <a href="tg://user?id=1002">李明</a> &amp; 其他',
    );
    expect(parseHtml(m!.text).text).toBe('通知：<周五>全体会 见 材料 李明 & 其他'); // what Telegram shows
  });

  it("does not link a mention of someone who is not on Telegram", () => {
    expect(render({ text: [{ mention: { platform: "slack", id: "U1" }, label: "<李>" }] })[0]!.text).toBe("&lt;李&gt;");
  });

  it("splits long text at a line break, keeps every character and puts the buttons on the last part", () => {
    const line = "第一条事项说明。".repeat(20) + "\n"; // 161 characters
    const text = line.repeat(30); // 4,830
    const parts = render({ text, buttons: [[{ label: "已阅", action: "notice.ack", value: "12" }]] });
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => parseHtml(p.text).text.length <= 4096)).toBe(true);
    expect(parts[0]!.text.endsWith("\n")).toBe(true);
    expect(parts.map((p) => p.text).join("")).toBe(text);
    expect(parts[0]!.reply_markup).toBeUndefined();
    expect(parts[1]!.reply_markup).toEqual({ inline_keyboard: [[{ text: "已阅", callback_data: "notice.ack|12" }]] });
  });

  it("cuts text without breaks where it must", () => {
    const parts = render({ text: "字".repeat(9000) });
    expect(parts.map((p) => p.text.length)).toEqual([4096, 4096, 808]);
  });

  it("refuses callback data over 64 bytes: buttons carry ids, not text", () => {
    expect(encodeCallback({ label: "x", action: "reminder.snooze", value: "12:10m" })).toBe("reminder.snooze|12:10m");
    expect(() => encodeCallback({ label: "x", action: "notice.ack", value: "这是一段用户写的很长的文字，不该放进按钮" })).toThrow(/over 64 bytes/);
    expect(decodeCallback("reminder.snooze|12:10m")).toEqual({ action: "reminder.snooze", value: "12:10m" });
    expect(decodeCallback("garbage")).toBeUndefined();
  });

  it("escapes only what Telegram's HTML mode needs", () => {
    expect(escapeHtml(`a<b>&"c'`)).toBe(`a&lt;b&gt;&amp;"c'`);
  });
});
