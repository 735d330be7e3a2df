// Outbound → Slack chat.postMessage payloads: escaping (no user text can ping anyone), marks, buttons within
// Block Kit's limits, and long text split into sections of 3,000 and messages of 50 blocks.
import { describe, expect, it } from "vitest";
import {
  type Block, type ButtonElement, decodeActionId, encodeActionId, escapeMrkdwn, MAX_BLOCKS, MAX_SECTION, MAX_VALUE, render,
} from "../../../adapters/slack/render.ts";
import type { Button, Outbound } from "../../../src/bot/message.ts";

/** The one message of a render, checked to be the only one. */
function one(message: Outbound) {
  const messages = render(message);
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

/** The mrkdwn of a message that renders to a single section. */
function mrkdwnOf(message: Outbound): string {
  const m = one(message);
  expect(m.blocks).toHaveLength(1);
  expect(m.blocks[0]!.type).toBe("section");
  return sectionText(m.blocks[0]!);
}

function sectionText(block: Block): string {
  if (block.type !== "section") throw new Error(`expected a section, got ${block.type}`);
  return block.text.text;
}

const sections = (blocks: Block[]) => blocks.filter((b) => b.type === "section").map(sectionText);
const buttonsOf = (blocks: Block[]): ButtonElement[][] => blocks.flatMap((b) => (b.type === "actions" ? [b.elements] : []));
const button = (label: string, action: string, value: string): Button => ({ label, action, value });

describe("escaping and marks", () => {
  it("escapes &, < and > in plain text and puts the same mrkdwn in the fallback", () => {
    const m = one({ text: "a & b < c > d; 5>3 && 2<4" });
    expect(m.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text: "a &amp; b &lt; c &gt; d; 5&gt;3 &amp;&amp; 2&lt;4" } }]);
    expect(m.text).toBe("a &amp; b &lt; c &gt; d; 5&gt;3 &amp;&amp; 2&lt;4");
  });

  it("escapes only Slack's three control characters", () => {
    expect(escapeMrkdwn(`a<b>&"c'*_~\`|`)).toBe(`a&lt;b&gt;&amp;"c'*_~\`|`);
  });

  it("renders bold between asterisks, escaped, and leaves blank bold unmarked", () => {
    expect(mrkdwnOf({ text: ["通知：", { bold: "<周五>全体会 & 学习" }, "。"] })).toBe("通知：*&lt;周五&gt;全体会 &amp; 学习*。");
    expect(mrkdwnOf({ text: ["a", { bold: "  " }, "b"] })).toBe("a  b");
  });

  it("renders links with the URL and the label escaped, and a | in the URL encoded so it cannot end the address", () => {
    expect(mrkdwnOf({ text: ["见 ", { link: "材料 & <附件>", url: "https://x.gov.cn/a?b=1&c=<2>" }] })).toBe(
      "见 <https://x.gov.cn/a?b=1&amp;c=&lt;2&gt;|材料 &amp; &lt;附件&gt;>",
    );
    expect(mrkdwnOf({ text: [{ link: "表", url: "https://x.org/a|<!channel>" }] })).toBe("<https://x.org/a%7C&lt;!channel&gt;|表>");
  });

  it("mentions Slack users by id and writes anyone else's mention as their escaped name", () => {
    const text = [
      { mention: { platform: "slack" as const, id: "U0WANG00001" }, label: "王伟" },
      " ",
      { mention: { platform: "slack" as const, id: "W0ENTERPRISE" }, label: "企业号" },
      " ",
      { mention: { platform: "telegram" as const, id: "1002" }, label: "<李明>" },
      " ",
      { mention: { platform: "slack" as const, id: "C0GENERAL01" }, label: "频道" }, // not a user id
      " ",
      { mention: { platform: "slack" as const, id: "U1><!channel" }, label: "坏 id" },
    ];
    expect(mrkdwnOf({ text })).toBe("<@U0WANG00001> <@W0ENTERPRISE> &lt;李明&gt; 频道 坏 id");
  });
});

describe("user text can never ping or mention", () => {
  const cases: [string, string][] = [
    ["<!channel>", "&lt;!channel&gt;"],
    ["<!here>", "&lt;!here&gt;"],
    ["<!everyone>", "&lt;!everyone&gt;"],
    ["<@U123>", "&lt;@U123&gt;"],
    ["<!subteam^S1|@team>", "&lt;!subteam^S1|@team&gt;"],
    ["&lt;", "&amp;lt;"], // an escape typed by the user stays text: Slack shows "&lt;", not "<"
    ["&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"],
  ];

  it.each(cases)("plain text %j", (input, escaped) => {
    const m = one({ text: input });
    expect(sections(m.blocks)).toEqual([escaped]);
    expect(m.text).toBe(escaped);
    expect(m.text).not.toContain("<");
  });

  it("in bold, link labels and other platforms' mention labels too", () => {
    const m = one({
      text: [
        { bold: "<!channel>" }, " ",
        { link: "<!here>", url: "https://x.org" }, " ",
        { mention: { platform: "telegram", id: "1" }, label: "<@U123>" }, " ",
        "&lt;!everyone&gt;",
      ],
    });
    const expected = "*&lt;!channel&gt;* <https://x.org|&lt;!here&gt;> &lt;@U123&gt; &amp;lt;!everyone&amp;gt;";
    expect(sections(m.blocks)).toEqual([expected]);
    expect(m.text).toBe(expected);
    // The only <…> left is the link we made.
    expect(expected.match(/<[^>]*>/g)).toEqual(["<https://x.org|&lt;!here&gt;>"]);
  });
});

describe("buttons", () => {
  it("become actions blocks after the text, one per row, with action ids unique across rows and values kept", () => {
    const m = one({
      text: "请确认",
      buttons: [
        [button("已阅", "circular.ack", "12"), button("稍后", "circular.snooze", "12:10m")],
        [button("已阅（副本）", "circular.ack", "13")],
      ],
    });
    expect(m.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: "请确认" } },
      {
        type: "actions",
        elements: [
          { type: "button", text: { type: "plain_text", text: "已阅", emoji: true }, action_id: "circular.ack#0", value: "12" },
          { type: "button", text: { type: "plain_text", text: "稍后", emoji: true }, action_id: "circular.snooze#1", value: "12:10m" },
        ],
      },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: "已阅（副本）", emoji: true }, action_id: "circular.ack#2", value: "13" }],
      },
    ]);
    expect(m.text).toBe("请确认"); // the fallback is the text, not the buttons
  });

  it("keeps a button's label as plain text (no escaping) and cuts it to 75 characters", () => {
    const long = "长".repeat(100);
    const [el] = buttonsOf(one({ text: "x", buttons: [[button(long, "a", "1")], [button("<&>", "b", "2")]] }).blocks).flat();
    expect(el!.text.text).toBe("长".repeat(75));
    expect(buttonsOf(one({ text: "x", buttons: [[button("<&>", "b", "2")]] }).blocks)[0]![0]!.text.text).toBe("<&>");
  });

  it("splits a row of more than 25 buttons into several actions blocks, numbering on", () => {
    const row = Array.from({ length: 30 }, (_, i) => button(`第${i + 1}项`, "pick", String(i)));
    const m = one({ text: "选择", buttons: [row, [button("取消", "cancel", "")]] });
    const blocks = buttonsOf(m.blocks);
    expect(blocks.map((b) => b.length)).toEqual([25, 5, 1]);
    const all = blocks.flat();
    expect(all.map((b) => b.action_id)).toEqual([...Array.from({ length: 30 }, (_, i) => `pick#${i}`), "cancel#30"]);
    expect(new Set(all.map((b) => b.action_id)).size).toBe(31);
    expect(all.map((b) => b.value)).toEqual([...Array.from({ length: 30 }, (_, i) => String(i)), ""]);
  });

  it("refuses a value over 2,000 characters: buttons carry ids, not text", () => {
    expect(MAX_VALUE).toBe(2000);
    expect(() => render({ text: "x", buttons: [[button("ok", "a", "v".repeat(2000))]] })).not.toThrow();
    expect(() => render({ text: "x", buttons: [[button("ok", "notice.ack", "v".repeat(2001))]] })).toThrow(/notice\.ack.*over 2000/);
  });

  it("skips empty rows and refuses more button blocks than a message can hold next to its text", () => {
    expect(one({ text: "x", buttons: [[], [button("a", "a", "1")], []] }).blocks.map((b) => b.type)).toEqual(["section", "actions"]);
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [button(String(i), "a", String(i))]);
    expect(one({ text: "x", buttons: rows(MAX_BLOCKS - 1) }).blocks).toHaveLength(MAX_BLOCKS);
    expect(() => render({ text: "x", buttons: rows(MAX_BLOCKS) })).toThrow(/do not fit/);
  });

  it("decodes the action name back from an action id", () => {
    const b = button("已阅", "circular.ack", "12");
    expect(encodeActionId(b, 3)).toBe("circular.ack#3");
    expect(decodeActionId(encodeActionId(b, 3))).toBe("circular.ack");
    expect(decodeActionId("a#b#12")).toBe("a#b"); // only the last # is ours
    expect(decodeActionId("circular.ack")).toBe("circular.ack"); // an id without # is the name itself
    expect(decodeActionId("#3")).toBeUndefined();
    expect(decodeActionId("")).toBeUndefined();
  });
});

describe("long text", () => {
  it("drops the mark of a bold title too long for one section, keeping its text escaped", () => {
    const title = "<重要>".repeat(700); // 2,800 characters, 4,200 escaped
    const parts = sections(one({ text: [{ bold: title }] }).blocks);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(MAX_SECTION);
    expect(parts.join("")).toBe("&lt;重要&gt;".repeat(700));
  });

  it("splits a 7,000-character message into sections of at most 3,000, cut after a line break, keeping every character", () => {
    const line = "事".repeat(69) + "\n"; // 70 characters
    const text = line.repeat(100); // 7,000
    const m = one({ text, buttons: [[button("已阅", "notice.ack", "1")]] });
    const parts = sections(m.blocks);
    expect(parts.map((p) => p.length)).toEqual([2940, 2940, 1120]);
    expect(parts.every((p) => p.length <= MAX_SECTION)).toBe(true);
    expect(parts.slice(0, -1).every((p) => p.endsWith("\n"))).toBe(true);
    expect(parts.join("")).toBe(text);
    expect(m.blocks.at(-1)!.type).toBe("actions");
  });

  it("cuts at a space when a stretch has no line break, and hard at 3,000 when it has neither", () => {
    const words = "word ".repeat(1400); // 7,000, spaces only
    const spaced = sections(one({ text: words }).blocks);
    expect(spaced.every((p) => p.length <= MAX_SECTION && (p.endsWith(" ") || p === spaced.at(-1)))).toBe(true);
    expect(spaced.join("")).toBe(words);
    expect(sections(one({ text: "字".repeat(7000) }).blocks).map((p) => p.length)).toEqual([3000, 3000, 1000]);
  });

  it("never splits an &amp; entity, whatever the text is full of", () => {
    for (const text of ["&".repeat(7000), "ab&".repeat(3000), "<>&".repeat(2500)]) {
      const m = one({ text });
      const parts = sections(m.blocks);
      expect(parts.every((p) => p.length <= MAX_SECTION)).toBe(true);
      for (const p of parts) expect(p).not.toMatch(/&(?!amp;|lt;|gt;)/); // every & starts a whole entity
      expect(parts.join("")).toBe(escapeMrkdwn(text));
    }
    expect(sections(one({ text: "&".repeat(7000) }).blocks).map((p) => p.length)).toEqual([...Array(11).fill(3000), 5 * 400]);
  });

  it("moves an escape that does not fit whole to the next section", () => {
    const parts = sections(one({ text: "x".repeat(2998) + "<<<<" }).blocks);
    expect(parts).toEqual(["x".repeat(2998), "&lt;".repeat(4)]);
  });

  it("never splits an emoji's surrogate pair at a hard cut", () => {
    const text = "字".repeat(2999) + "😀" + "字".repeat(100);
    const parts = sections(one({ text }).blocks);
    expect(parts.map((p) => p.length)).toEqual([2999, 102]);
    expect(parts[1]!.startsWith("😀")).toBe(true);
  });

  it("packs marks into the sections without splitting them", () => {
    const link = { link: "附件 一", url: "https://x.org/f?id=1&v=2" };
    const parts = sections(one({ text: ["x".repeat(2990), link, "y".repeat(10)] }).blocks);
    expect(parts).toEqual(["x".repeat(2990), "<https://x.org/f?id=1&amp;v=2|附件 一>" + "y".repeat(10)]);
  });

  it("sends more than 50 sections as several messages, with the buttons only on the last", () => {
    const text = "字".repeat(MAX_SECTION * 51 + 10); // 52 sections
    const plain = render({ text });
    expect(plain.map((m) => m.blocks.length)).toEqual([50, 2]);

    const withButtons = render({ text, buttons: [[button("已阅", "notice.ack", "1")], [button("退回", "notice.reject", "1")]] });
    expect(withButtons.map((m) => m.blocks.length)).toEqual([48, 6]); // 48 sections per message leave room for 2 action blocks
    expect(withButtons.every((m) => m.blocks.length <= MAX_BLOCKS)).toBe(true);
    expect(withButtons.slice(0, -1).every((m) => buttonsOf(m.blocks).length === 0)).toBe(true);
    expect(buttonsOf(withButtons.at(-1)!.blocks).flat().map((b) => b.action_id)).toEqual(["notice.ack#0", "notice.reject#1"]);
    expect(withButtons.flatMap((m) => sections(m.blocks)).join("")).toBe(text);
  });

  it("gives an empty text a section all the same: Slack refuses an empty one", () => {
    for (const text of ["", [], "   "] as Outbound["text"][]) {
      const m = one({ text, buttons: [[button("已阅", "notice.ack", "1")]] });
      expect(m.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: " " } });
      expect(m.blocks.map((b) => b.type)).toEqual(["section", "actions"]);
      expect(m.text.trim()).toBe("");
    }
  });
});

describe("fallback text", () => {
  it("is the sections' mrkdwn cut to about 3,000 characters at a space", () => {
    const line = "事".repeat(69) + "\n";
    const m = one({ text: line.repeat(100) });
    const joined = sections(m.blocks).join("\n");
    expect(m.text.length).toBeLessThanOrEqual(MAX_SECTION + 1);
    expect(m.text.endsWith("…")).toBe(true);
    expect(joined.startsWith(m.text.slice(0, -1))).toBe(true);
  });

  it("stays escaped and never ends inside an escape or a link", () => {
    const pings = one({ text: "<!channel> & ".repeat(1000) });
    expect(pings.text.length).toBeLessThanOrEqual(3001);
    expect(pings.text).not.toContain("<");
    expect(pings.text.slice(0, -1)).not.toMatch(/&(?!amp;|lt;|gt;)/);

    const amps = one({ text: "&".repeat(7000) });
    expect(amps.text.length).toBeLessThanOrEqual(3001);
    expect(amps.text).toMatch(/^(&amp;)+…?$/);

    // A link whose label has spaces straddling the cut is dropped whole, not left open.
    const linked = one({ text: ["x".repeat(2980), { link: "一 二 三 四 五 六 七 八 九 十", url: "https://x.org" }, " 后文".repeat(20)] });
    expect(linked.text).toBe(`${"x".repeat(2980)}\n…`);
  });

  it("is the whole text when it is short", () => {
    expect(one({ text: ["会议 ", { bold: "周五" }, " & 材料"] }).text).toBe("会议 *周五* &amp; 材料");
  });
});
