// Slack payloads → Inbound: slash commands, button presses and events in the shapes Slack sends them (built by
// slack-signing and decoded the way Bolt decodes them), mapped or quietly ignored.
import { describe, expect, it } from "vitest";
import {
  mentionedUsers, orderKey, payloadKind, plainSlackText, senderOf, type SlackContext, toInbound, UMBRELLA_COMMAND,
} from "../../../adapters/slack/to-inbound.ts";
import { DEFAULT_WORKSPACE } from "../../support/fake-slack.ts";
import {
  appMention, type BlockActionInput, blockAction, envelope, messageEvent, type MessageEventInput, slashCommand, type SlashCommandInput,
} from "../../support/slack-signing.ts";

type Body = Record<string, unknown>;

const BOT = DEFAULT_WORKSPACE.bot_user_id;
const wang = "U0WANG00001";
const li = "U0LIWEI0001";
const dm = "D0WANG00001";
const general = "C0GENERAL01";
const leaders = "G0LEADERS01";
const ctx: SlackContext = { botUserId: BOT };

/** A slash command's form body as Bolt parses it: an object of strings. */
const command = (input: SlashCommandInput): Body => Object.fromEntries(new URLSearchParams(slashCommand(input)));
/** A button press as Bolt parses it: the JSON in the form's `payload` field. */
const action = (input: BlockActionInput): Body => JSON.parse(new URLSearchParams(blockAction(input)).get("payload")!) as Body;
/** An event envelope as it arrives over HTTP: JSON, so undefined fields are gone. */
const wire = (payload: object): Body => JSON.parse(JSON.stringify(payload)) as Body;
const event = (input: MessageEventInput): Body => wire(messageEvent(input));
const mention = (input: Omit<MessageEventInput, "channel_type">): Body => wire(appMention(input));
/** An event envelope with some of the event's fields changed. */
function withEvent(body: Body, changes: Record<string, unknown>): Body {
  return { ...body, event: { ...(body.event as Body), ...changes } };
}

const slackUser = (id: string, name?: string) => ({ platform: "slack", id, ...(name ? { name } : {}) });
const direct = (id: string) => ({ platform: "slack", id, kind: "direct" });

describe("slash commands", () => {
  it(`reads /${UMBRELLA_COMMAND} with no text as help, in a direct chat, named by user_name`, () => {
    expect(toInbound(command({ command: "/relay", user_id: wang, user_name: "wang.wei", channel_id: dm }), ctx)).toEqual({
      kind: "command", name: "help", args: "", user: slackUser(wang, "wang.wei"), chat: direct(dm),
    });
    expect(toInbound(command({ command: "/relay", text: "   ", user_id: wang, channel_id: dm }), ctx)).toMatchObject({ kind: "command", name: "help" });
  });

  it("reads /relay with text as that text said to the bot", () => {
    expect(toInbound(command({ command: "/relay", text: "请假 明天", user_id: wang, channel_id: dm }), ctx)).toMatchObject({
      kind: "text", text: "请假 明天", addressed: true,
    });
    // A command name after /relay stays text: the core reads "notice 周五" as it would in a direct chat.
    expect(toInbound(command({ command: "/relay", text: "notice 周五", user_id: wang, channel_id: general }), ctx)).toMatchObject({
      kind: "text", text: "notice 周五", addressed: true, chat: { id: general, kind: "group" },
    });
  });

  it("reads any other slash command as that command, with its text as arguments", () => {
    expect(toInbound(command({ command: "/notice", text: "周五开会", user_id: wang, user_name: "wang.wei", channel_id: general }), ctx)).toEqual({
      kind: "command", name: "notice", args: "周五开会", user: slackUser(wang, "wang.wei"),
      chat: { platform: "slack", id: general, kind: "group", title: "#general" },
    });
    expect(toInbound(command({ command: "/Remind", user_id: wang, channel_id: dm }), ctx)).toMatchObject({ kind: "command", name: "remind", args: "" });
  });

  it("decodes the command's text: escapes, mentions and links", () => {
    const names = new Map([[li, "李伟"]]);
    const body = command({ command: "/notice", text: "<@U0LIWEI0001|li.wei> 看 <https://x.org/a?b=1&amp;c=2|材料> &lt;急&gt;", user_id: wang, channel_id: dm });
    expect(toInbound(body, { ...ctx, names })).toMatchObject({ args: "@李伟 看 https://x.org/a?b=1&c=2 <急>" });
  });

  it("tells direct chats (D…) from public (C…) and private (G…) channels, titled by name except group DMs", () => {
    const chatOf = (channel_id: string, channel_name?: string) =>
      toInbound(command({ command: "/notice", text: "x", user_id: wang, channel_id, ...(channel_name ? { channel_name } : {}) }), ctx)?.chat;
    expect(chatOf(dm)).toEqual(direct(dm)); // Slack sends channel_name "directmessage"
    expect(chatOf(general, "general")).toEqual({ platform: "slack", id: general, kind: "group", title: "#general" });
    expect(chatOf(leaders, "leaders")).toEqual({ platform: "slack", id: leaders, kind: "group", title: "#leaders" });
    expect(chatOf("G0MPDM00001", "mpdm-wang.wei--li.wei--zhang.li-1")).toEqual({ platform: "slack", id: "G0MPDM00001", kind: "group" });
    // Slack names every private channel "privategroup" in slash commands: that is no title.
    expect(chatOf(leaders, "privategroup")).toEqual({ platform: "slack", id: leaders, kind: "group" });
  });

  it("takes the name and locale from the looked-up profile when there is one", () => {
    const profiles = new Map([[wang, { name: "王伟", locale: "zh-CN" }]]);
    expect(toInbound(command({ command: "/relay", user_id: wang, user_name: "wang.wei", channel_id: dm }), { ...ctx, profiles })).toMatchObject({
      user: slackUser(wang, "王伟"), locale: "zh-CN",
    });
    // A profile without a name keeps user_name; one without a locale adds none.
    const partial = new Map([[wang, { locale: "en-US" }]]);
    expect(toInbound(command({ command: "/relay", user_id: wang, user_name: "wang.wei", channel_id: dm }), { ...ctx, profiles: partial })).toMatchObject({
      user: slackUser(wang, "wang.wei"), locale: "en-US",
    });
    expect(toInbound(command({ command: "/relay", user_id: li, channel_id: dm }), { ...ctx, profiles })).not.toHaveProperty("locale");
  });

  it("ignores a command without a user or a channel", () => {
    const body = command({ command: "/notice", text: "x", user_id: wang, channel_id: general });
    expect(toInbound({ ...body, user_id: "" }, ctx)).toBeUndefined();
    expect(toInbound({ ...body, channel_id: "" }, ctx)).toBeUndefined();
  });
});

describe("button presses", () => {
  const press = (changes: Partial<BlockActionInput> = {}) =>
    action({ user: wang, channel: general, action_id: "circular.ack#3", value: "12", message_ts: "1700000000.000100", ...changes });

  it("decodes the action name from the action id and keeps the value and the message it was on", () => {
    expect(toInbound(press(), ctx)).toEqual({
      kind: "action", action: "circular.ack", value: "12",
      user: slackUser(wang, "user.0001"),
      chat: { platform: "slack", id: general, kind: "group", title: "#general" },
      messageRef: { platform: "slack", chatId: general, messageId: "1700000000.000100" },
    });
    expect(toInbound(press({ channel: dm }), ctx)).toMatchObject({ chat: direct(dm), messageRef: { chatId: dm } });
  });

  it("takes the profile's name and locale over the payload's user name", () => {
    const profiles = new Map([[wang, { name: "王伟", locale: "zh-CN" }]]);
    expect(toInbound(press(), { ...ctx, profiles })).toMatchObject({ user: slackUser(wang, "王伟"), locale: "zh-CN" });
  });

  it("gives no messageRef for a button on an ephemeral message: Slack lets no one edit it", () => {
    const body = press();
    const ephemeral = { ...body, container: { ...(body.container as Body), is_ephemeral: true } };
    delete (ephemeral as Body).message; // ephemeral payloads carry no message
    const event = toInbound(ephemeral, ctx);
    expect(event).toMatchObject({ kind: "action", action: "circular.ack", value: "12" });
    expect(event).not.toHaveProperty("messageRef");
  });

  it("handles buttons only: selects and the like are ignored, a button next to them is not", () => {
    const select = { type: "static_select", action_id: "pick#0", block_id: "b", selected_option: { text: { type: "plain_text", text: "a" }, value: "a" }, action_ts: "1" };
    const body = press();
    expect(toInbound({ ...body, actions: [select] }, ctx)).toBeUndefined();
    expect(toInbound({ ...body, actions: [select, ...(body.actions as unknown[])] }, ctx)).toMatchObject({ action: "circular.ack" });
    expect(toInbound({ ...body, actions: [] }, ctx)).toBeUndefined();
  });

  it("ignores a press without a user, a channel or an action name", () => {
    const body = press();
    expect(toInbound({ ...body, user: undefined }, ctx)).toBeUndefined();
    // A button in App Home or a modal: a view container and no channel.
    expect(toInbound({ ...body, channel: undefined, container: { type: "view", view_id: "V1" } }, ctx)).toBeUndefined();
    expect(toInbound(press({ action_id: "#3" }), ctx)).toBeUndefined();
  });

  it("finds the channel in the container when the payload has no channel object", () => {
    expect(toInbound({ ...press(), channel: undefined }, ctx)).toMatchObject({ chat: { id: general, kind: "group" }, messageRef: { chatId: general } });
  });
});

describe("message events", () => {
  it("maps a person's direct message to text", () => {
    expect(toInbound(event({ user: wang, channel: dm, text: "请假 明天" }), ctx)).toEqual({
      kind: "text", text: "请假 明天", user: slackUser(wang), chat: direct(dm),
    });
    const profiles = new Map([[wang, { name: "王伟", locale: "zh-CN" }]]);
    expect(toInbound(event({ user: wang, channel: dm, text: "hi" }), { ...ctx, profiles })).toMatchObject({ user: slackUser(wang, "王伟"), locale: "zh-CN" });
  });

  it("drops a leading mention of the bot and decodes the rest", () => {
    expect(toInbound(event({ user: wang, channel: dm, text: `<@${BOT}>  请假 &amp; 调休` }), ctx)).toMatchObject({ kind: "text", text: "请假 & 调休" });
  });

  it("ignores bots, edits, ourselves and channel chatter", () => {
    const base = event({ user: wang, channel: dm, text: "hi" });
    const ignored: Body[] = [
      withEvent(base, { subtype: "bot_message", bot_id: "B0OTHER0001", user: undefined }),
      withEvent(base, { bot_id: "B0OTHER0001" }), // an app's message: a user id and a bot_id
      withEvent(base, { subtype: "message_changed", hidden: true, message: { type: "message", user: wang, text: "hello", ts: "1" } }),
      withEvent(base, { subtype: "message_deleted", hidden: true }),
      withEvent(base, { subtype: "channel_join" }),
      withEvent(base, { user: BOT }),
      event({ user: wang, channel: general, text: "大家好", channel_type: "channel" }),
      event({ user: wang, channel: leaders, text: "大家好", channel_type: "group" }),
      event({ user: wang, channel: "G0MPDM00001", text: "大家好", channel_type: "mpim" }),
      withEvent(base, { user: undefined }),
      withEvent(base, { text: undefined }),
    ];
    for (const body of ignored) expect(toInbound(body, ctx)).toBeUndefined();
  });

  it("reads a message with a file attached, or a thread reply also sent to the channel, by its text", () => {
    for (const subtype of ["file_share", "thread_broadcast"]) {
      expect(toInbound(withEvent(event({ user: wang, channel: dm, text: "传阅 年度总结" }), { subtype }), ctx)).toMatchObject({ kind: "text", text: "传阅 年度总结" });
    }
  });

  it("ignores a message with nothing left after the bot's mention", () => {
    expect(toInbound(event({ user: wang, channel: dm, text: `<@${BOT}>` }), ctx)).toBeUndefined();
    expect(toInbound(event({ user: wang, channel: dm, text: "   " }), ctx)).toBeUndefined();
  });
});

describe("app mentions", () => {
  it("maps a mention in a channel to text addressed to the bot, without the mention", () => {
    expect(toInbound(mention({ user: wang, channel: general, text: "请假 明天" }), ctx)).toEqual({
      kind: "text", text: "请假 明天", addressed: true, user: slackUser(wang), chat: { platform: "slack", id: general, kind: "group" },
    });
  });

  it("reads a bare mention as asking for help", () => {
    expect(toInbound(mention({ user: wang, channel: general, text: "" }), ctx)).toEqual({
      kind: "command", name: "help", args: "", user: slackUser(wang), chat: { platform: "slack", id: general, kind: "group" },
    });
  });

  it("ignores a mention in a direct chat (its message event is the one handled) and from bots", () => {
    expect(toInbound(mention({ user: wang, channel: dm, text: "hi" }), ctx)).toBeUndefined();
    expect(toInbound(withEvent(mention({ user: wang, channel: general, text: "hi" }), { bot_id: "B0OTHER0001" }), ctx)).toBeUndefined();
  });
});

describe("membership", () => {
  const joined = (user: string, inviter?: string) =>
    wire(envelope({ type: "member_joined_channel", user, channel: general, channel_type: "C", team: DEFAULT_WORKSPACE.team_id, event_ts: "1700000000.000200", ...(inviter ? { inviter } : {}) }));

  it("maps our bot being added to a channel, by the inviter", () => {
    expect(toInbound(joined(BOT, wang), ctx)).toEqual({
      kind: "membership", joined: true, user: slackUser(wang), chat: { platform: "slack", id: general, kind: "group" },
    });
    expect(toInbound(joined(BOT), ctx)).toMatchObject({ kind: "membership", joined: true, user: { id: BOT } });
    const profiles = new Map([[wang, { name: "王伟", locale: "zh-CN" }]]);
    expect(toInbound(joined(BOT, wang), { ...ctx, profiles })).toMatchObject({ user: slackUser(wang, "王伟"), locale: "zh-CN" });
  });

  it("ignores someone else joining", () => {
    expect(toInbound(joined(li, wang), ctx)).toBeUndefined();
  });

  it("maps our bot leaving a public or private channel", () => {
    const left = wire(envelope({ type: "channel_left", channel: general, actor_id: wang, event_ts: "1700000000.000300" }));
    expect(toInbound(left, ctx)).toEqual({
      kind: "membership", joined: false, user: slackUser(wang), chat: { platform: "slack", id: general, kind: "group" },
    });
    const groupLeft = wire(envelope({ type: "group_left", channel: leaders, event_ts: "1700000000.000400" }));
    expect(toInbound(groupLeft, ctx)).toMatchObject({ kind: "membership", joined: false, user: { id: BOT }, chat: { id: leaders, kind: "group" } });
  });

  it("ignores other events and payloads", () => {
    expect(toInbound(wire(envelope({ type: "reaction_added", user: wang, reaction: "thumbsup" })), ctx)).toBeUndefined();
    expect(toInbound(wire(envelope({ type: "channel_left" })), ctx)).toBeUndefined();
    expect(toInbound({ type: "view_submission", user: { id: wang } }, ctx)).toBeUndefined();
    expect(toInbound({ type: "url_verification", challenge: "x" }, ctx)).toBeUndefined();
  });
});

describe("plainSlackText", () => {
  const names = new Map([["U0LIWEI0001", "李伟"]]);
  const plain = (text: string) => plainSlackText(text, { ...ctx, names });

  it("decodes Slack's three escapes, once", () => {
    expect(plain("a &lt; b &gt; c &amp; d")).toBe("a < b > c & d");
    expect(plain("&amp;lt; stays &lt;")).toBe("&lt; stays <"); // the user typed "&lt;"
  });

  it("writes user mentions as @name: from names, else the label, else the id", () => {
    expect(plain("<@U0LIWEI0001> 好")).toBe("@李伟 好");
    expect(plain("<@U0LIWEI0001|li.wei>")).toBe("@李伟");
    expect(plain("<@U0ZHANG0001|zhang.li>")).toBe("@zhang.li");
    expect(plain("<@U0ZHANG0001>")).toBe("@U0ZHANG0001");
    expect(plain("<@U0ZHANG0001|>")).toBe("@U0ZHANG0001");
  });

  it("drops our bot's mention", () => {
    expect(plain(`<@${BOT}> help`)).toBe("help");
    expect(plain(`  <@${BOT}>`)).toBe("");
    expect(plain(`请 <@${BOT}> 看看`)).toBe("请 看看");
  });

  it("writes channels as #name, and by id when Slack leaves the name out", () => {
    expect(plain("<#C0GENERAL01|general>")).toBe("#general");
    expect(plain("<#C0GENERAL01>")).toBe("#C0GENERAL01");
    expect(plain("<#G0LEADERS01|>")).toBe("#G0LEADERS01");
  });

  it("writes special mentions and user groups as @name", () => {
    expect(plain("<!here> 开会")).toBe("@here 开会");
    expect(plain("<!channel>")).toBe("@channel");
    expect(plain("<!everyone>")).toBe("@everyone");
    expect(plain("<!here|here>")).toBe("@here"); // the older form
    expect(plain("<!subteam^S0TEAM00001|@leaders>")).toBe("@leaders");
    expect(plain("<!subteam^S0TEAM00001>")).toBe("@subteam");
  });

  it("writes links as their address, decoded, and mail links as the address", () => {
    expect(plain("<https://x.org/a?b=1&amp;c=2|label>")).toBe("https://x.org/a?b=1&c=2");
    expect(plain("见 <https://x.org/a>")).toBe("见 https://x.org/a");
    expect(plain("<mailto:a@b.c|a@b.c>")).toBe("a@b.c");
    expect(plain("<mailto:a@b.c>")).toBe("a@b.c");
  });
});

describe("payload helpers", () => {
  const cmd = command({ command: "/notice", text: "x <@U0LIWEI0001>", user_id: wang, channel_id: general });
  const press = action({ user: wang, channel: leaders, action_id: "circular.ack#0", value: "1", message_ts: "1700000000.000100" });
  const dmEvent = event({ user: wang, channel: dm, text: `<@${BOT}> 问 <@U0LIWEI0001> 和 <@W0ZHANG0001|zhang>` });

  it("payloadKind tells events, commands and actions from the rest", () => {
    expect(payloadKind(dmEvent)).toBe("event");
    expect(payloadKind(cmd)).toBe("command");
    expect(payloadKind(press)).toBe("action");
    expect(payloadKind({ type: "view_submission" })).toBe("other");
    expect(payloadKind({ type: "url_verification", challenge: "x" })).toBe("other");
  });

  it("orderKey is the conversation: a command's, an action's, an event's channel; else the user", () => {
    expect(orderKey(cmd)).toBe(general);
    expect(orderKey(press)).toBe(leaders);
    expect(orderKey({ ...press, channel: undefined })).toBe(leaders); // from the container
    expect(orderKey(dmEvent)).toBe(dm);
    expect(orderKey({ type: "block_actions", user: { id: wang }, container: { type: "view", view_id: "V1" } })).toBe(wang);
    expect(orderKey({ command: "/notice", user_id: wang })).toBe(wang);
    expect(orderKey({ type: "event_callback", event: { type: "tokens_revoked" } })).toBe("other");
  });

  it("mentionedUsers lists user ids a command's or an event's text mentions", () => {
    expect(mentionedUsers(cmd)).toEqual(["U0LIWEI0001"]);
    expect(mentionedUsers(dmEvent)).toEqual([BOT, "U0LIWEI0001", "W0ZHANG0001"]);
    expect(mentionedUsers(press)).toEqual([]);
    expect(mentionedUsers(event({ user: wang, channel: dm, text: "<#C0GENERAL01|general> <!here> &lt;@U0FAKE0001&gt;" }))).toEqual([]);
  });

  it("senderOf is who sent it, or for our joining and leaving who caused it", () => {
    expect(senderOf(cmd)).toBe(wang);
    expect(senderOf(press)).toBe(wang);
    expect(senderOf(dmEvent)).toBe(wang);
    expect(senderOf(wire(envelope({ type: "member_joined_channel", user: BOT, channel: general, inviter: li })))).toBe(li);
    expect(senderOf(wire(envelope({ type: "member_joined_channel", user: BOT, channel: general })))).toBe(BOT);
    expect(senderOf(wire(envelope({ type: "channel_left", channel: general, actor_id: li })))).toBe(li);
    expect(senderOf({ type: "event_callback", event: { type: "tokens_revoked" } })).toBeUndefined();
  });
});
