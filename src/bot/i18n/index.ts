// Message catalogues. zh-CN is the reference: every key must exist in en too (the type checks it).
import { en } from "./en.ts";
import { zhCN } from "./zh-CN.ts";

export type Locale = "zh-CN" | "en";
export type MessageKey = keyof typeof zhCN;
export type Params = Record<string, string | number>;

const catalogues: Record<Locale, Record<MessageKey, string>> = { "zh-CN": zhCN, en };

/** The message `key` in `locale`, with `{name}` placeholders filled from `params`. */
export function t(locale: Locale, key: MessageKey, params: Params = {}): string {
  const template = catalogues[locale][key];
  // "{count}" is the value; "{count:person|people}" the word for it, singular for exactly 1 (English needs it).
  return template.replace(/\{(\w+)(?::([^|{}]*)\|([^{}]*))?\}/g, (whole, name: string, one?: string, many?: string) => {
    if (!(name in params)) return whole;
    if (one === undefined) return String(params[name]);
    return Number(params[name]) === 1 ? one : many!;
  });
}

/** Whether `key` is in the catalogues: for keys made from stored data (a role, a response) that may hold anything. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(zhCN, key);
}

/** Maps whatever a platform or a user says ("zh", "zh-Hans", "中文", "en-US", "English") to a locale we have. */
export function toLocale(value: string | undefined | null): Locale | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  if (v.startsWith("zh") || v === "中文" || v === "chinese" || v === "汉语" || v === "简体中文") return "zh-CN";
  if (v.startsWith("en") || v === "英文" || v === "英语" || v === "english") return "en";
  return undefined;
}
