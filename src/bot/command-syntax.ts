// How a command is typed on each platform: "/remind" on Telegram and in the console, "/relay remind" on
// Slack, which keeps /remind, /leave, /join and others for itself and reaches Relay through one slash command.
import type { Platform } from "./message.ts";

export function slash(platform: Platform, name: string): string {
  return platform === "slack" ? `/relay ${name}` : `/${name}`;
}

/** Help and usage text (Relay's own, never user text) with its "/name" examples written as `platform` needs them. */
export function forPlatform(text: string, platform: Platform): string {
  if (platform !== "slack") return text;
  return text.replace(/(^|[\s（(：:，,；;“"])\/([a-z_]+)(?![\w/])/g, (_all, before: string, name: string) => `${before}${slash(platform, name)}`);
}
