// Telegram updates → Inbound: every shape Telegram sends, mapped or quietly ignored.
import { describe, expect, it } from "vitest";
import { toInbound } from "../../../adapters/telegram/to-inbound.ts";
import {
  anonymousAdminMessage, callbackQuery, channel, channelPost, editedMessage, group, groupCommand, groupMessage,
  DEFAULT_BOT, myChatMember, privateMessage, sticker, user,
} from "../../support/fake-telegram.ts";

const li = user(1002, "李", { last_name: "明", language_code: "zh-hans" });
const g = group(-100777, "党政办群");

describe("toInbound", () => {
  it("maps a private command with its arguments and the user's language", () => {
    expect(toInbound(privateMessage(li, "/remind 明天下午3点 交材料"), "relay_bot")).toEqual({
      kind: "command", name: "remind", args: "明天下午3点 交材料", locale: "zh-hans",
      user: { platform: "telegram", id: "1002", name: "李 明" },
      chat: { platform: "telegram", id: "1002", kind: "direct" },
    });
  });

  it("keeps group commands addressed to us and drops other bots'", () => {
    expect(toInbound(groupCommand(li, g, "/notice@Relay_Bot 周五开会"), "relay_bot")).toMatchObject({
      kind: "command", name: "notice", args: "周五开会", chat: { id: "-100777", kind: "group", title: "党政办群" },
    });
    expect(toInbound(groupCommand(li, g, "/notice@other_bot 周五开会"), "relay_bot")).toBeUndefined();
  });

  it("passes Chinese aliases and chatter as text: the core decides", () => {
    expect(toInbound(groupMessage(li, g, "提醒 明天9点 交表"), "relay_bot")).toMatchObject({ kind: "text", text: "提醒 明天9点 交表" });
    expect(toInbound(privateMessage(li, "/提醒 明天9点 交表"), "relay_bot")).toMatchObject({ kind: "text", text: "/提醒 明天9点 交表" });
  });

  it("reads a mention of the bot, or a reply to its message, in a group as said to the bot", () => {
    const mentioned = groupMessage(li, g, "@Relay_Bot 请假 明天 家里有事");
    mentioned.message!.entities = [{ type: "mention", offset: 0, length: "@Relay_Bot".length }];
    expect(toInbound(mentioned, "relay_bot")).toMatchObject({ kind: "text", text: "请假 明天 家里有事", addressed: true, chat: { kind: "group" } });
    const alone = groupMessage(li, g, "@relay_bot");
    alone.message!.entities = [{ type: "mention", offset: 0, length: "@relay_bot".length }];
    expect(toInbound(alone, "relay_bot")).toMatchObject({ kind: "command", name: "help" });
    const other = groupMessage(li, g, "@someone 你好");
    other.message!.entities = [{ type: "mention", offset: 0, length: "@someone".length }];
    expect(toInbound(other, "relay_bot")).toEqual(expect.not.objectContaining({ addressed: true }));
    const reply = groupMessage(li, g, "党政办");
    (reply.message as { reply_to_message?: unknown }).reply_to_message = { message_id: 7, date: 0, chat: g, from: DEFAULT_BOT, text: "发给谁？" };
    expect(toInbound(reply, "relay_bot")).toMatchObject({ kind: "text", text: "党政办", addressed: true });
  });

  it("marks anonymous group admins", () => {
    expect(toInbound(anonymousAdminMessage(g, "/bind 党政办"), "relay_bot")).toMatchObject({
      kind: "command", user: { platform: "telegram", id: "-100777", anonymous: true },
    });
  });

  it("maps a button press with the message it was on", () => {
    const sent = groupMessage(li, g, "x").message!;
    expect(toInbound(callbackQuery(li, sent, "notice.ack|12"), "relay_bot")).toMatchObject({
      kind: "action", action: "notice.ack", value: "12", user: { id: "1002" }, chat: { id: "-100777", kind: "group" },
      messageRef: { platform: "telegram", chatId: "-100777", messageId: String(sent.message_id) },
    });
  });

  it("maps the bot being added to and removed from a group", () => {
    expect(toInbound(myChatMember(g, li, "administrator"), "relay_bot")).toMatchObject({ kind: "membership", joined: true, chat: { id: "-100777" } });
    expect(toInbound(myChatMember(g, li, "kicked"), "relay_bot")).toMatchObject({ kind: "membership", joined: false });
  });

  it("ignores what Relay does not handle", () => {
    const message = privateMessage(li, "hi").message!;
    for (const update of [editedMessage(message, "hello"), channelPost(channel(-1005, "频道"), "/whoami"), sticker(li), { update_id: 1, poll: {} }]) {
      expect(toInbound(update as never, "relay_bot")).toBeUndefined();
    }
  });
});
