// The manifest an admin pastes into Slack must agree with the adapter: every slash command reaches a Relay
// command and none is shadowed by Slack's own, every URL is the receiver's path, every event subscribed is one
// the adapter reads, and the scopes cover every event and Web API method Relay uses.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EVENTS_PATH } from "../../../adapters/slack/slack-adapter.ts";
import { toInbound } from "../../../adapters/slack/to-inbound.ts";
import { openOffice, type Office } from "../../support/office.ts";
import { slashCommandObject } from "../../support/slack-signing.ts";

interface Manifest {
  features: { slash_commands: { command: string; url: string; description: string; should_escape: boolean }[]; bot_user: { display_name: string } };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
}

const manifest = parse(readFileSync(new URL("../../../adapters/slack/app-manifest.yaml", import.meta.url), "utf8")) as Manifest;

// Slack's built-in commands take precedence over an app's of the same name.
const SLACK_BUILT_INS = ["leave", "join", "invite", "remind", "status", "who", "msg", "dm", "me", "away", "active", "apps", "archive", "call", "collapse", "expand", "dnd", "feed", "mute", "open", "prefs", "rename", "search", "shortcuts", "shrug", "topic", "kick", "remove", "help", "giphy", "poll", "shortcuts"];
// What each event and method needs: https://api.slack.com/events and https://api.slack.com/methods.
const SCOPES_FOR: Record<string, string[]> = {
  "message.im": ["im:history"],
  app_mention: ["app_mentions:read"],
  member_joined_channel: ["channels:read", "groups:read"],
  channel_left: ["channels:read"],
  group_left: ["groups:read"],
  "chat.postMessage": ["chat:write"],
  "chat.update": ["chat:write"],
  "conversations.open": ["im:write"],
  "users.info": ["users:read"],
  "files.getUploadURLExternal": ["files:write"],
  "files.completeUploadExternal": ["files:write"],
  "slash commands": ["commands"],
};

describe("app-manifest.yaml", () => {
  let office: Office;
  beforeAll(async () => {
    office = await openOffice("pglite");
  });
  afterAll(async () => office?.close());

  it("sends events, commands and interactions to the receiver's one path", () => {
    const urls = [...manifest.features.slash_commands.map((c) => c.url), manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url];
    for (const url of urls) expect(new URL(url).pathname).toBe(EVENTS_PATH);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });

  it("has /relay, and every other slash command reaches a Relay command that Slack does not shadow", () => {
    const router = office.runtime.app.bot.router;
    const names = manifest.features.slash_commands.map((c) => c.command);
    expect(names).toContain("/relay");
    for (const c of manifest.features.slash_commands) {
      expect(c.should_escape, c.command).toBe(true); // mentions arrive as <@U…>, which Relay reads as roster names
      expect(SLACK_BUILT_INS, c.command).not.toContain(c.command.slice(1));
      if (c.command === "/relay") continue;
      const inbound = toInbound(slashCommandObject({ command: c.command, text: "1", user_id: "U0TEST00001", channel_id: "D0TEST00001" }) as never, { botUserId: "U0BOT000001" });
      expect(inbound?.kind, c.command).toBe("command");
      expect(router.findCommand((inbound as { name: string }).name), c.command).toBeDefined();
    }
  });

  it("subscribes to the events the adapter reads, with the scopes they and the methods Relay calls need", () => {
    const events = manifest.settings.event_subscriptions.bot_events;
    expect(events.sort()).toEqual(["app_mention", "channel_left", "group_left", "member_joined_channel", "message.im"]);
    const needed = new Set([...events, "chat.postMessage", "chat.update", "conversations.open", "users.info", "files.getUploadURLExternal", "files.completeUploadExternal", "slash commands"].flatMap((k) => SCOPES_FOR[k]!));
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual([...needed].sort());
  });
});
