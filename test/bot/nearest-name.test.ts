// "Did you mean …?": edit distance with swaps, by character, and what counts as a slip.
import { describe, expect, it } from "vitest";
import { editDistance, nearestName } from "../../src/bot/nearest-name.ts";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and a swap of neighbours as one edit each", () => {
    expect(editDistance("help", "help")).toBe(0);
    expect(editDistance("halp", "help")).toBe(1);
    expect(editDistance("hlep", "help")).toBe(1);
    expect(editDistance("hel", "help")).toBe(1);
    expect(editDistance("hello", "help")).toBe(2);
    expect(editDistance("提箱", "提醒")).toBe(1); // one Chinese character is one letter
    expect(editDistance("", "提醒")).toBe(2);
  });
});

describe("nearestName", () => {
  const commands = ["help", "帮助", "remind", "提醒", "reminders", "我的提醒", "?", "out"];
  it("finds the nearest within a slip, case-insensitively", () => {
    expect(nearestName("HALP", commands)).toBe("help");
    expect(nearestName("提箱", commands)).toBe("提醒");
    expect(nearestName("remidners", commands)).toBe("reminders");
    expect(nearestName("我的提箱", commands)).toBe("我的提醒");
  });

  it("offers nothing when nothing is close, for an exact name, or for one letter", () => {
    expect(nearestName("frobnicate", commands)).toBeUndefined();
    expect(nearestName("hello", commands)).toBeUndefined();
    expect(nearestName("help", commands)).toBeUndefined();
    expect(nearestName("!", commands)).toBeUndefined(); // "?" is one letter away, as is every one-letter typo
  });

  it("allows two slips in a long name, and prefers the earlier candidate on a tie", () => {
    expect(nearestName("党证办", ["党政办", "综治办"])).toBe("党政办");
    expect(nearestName("remnidrs", commands)).toBe("reminders");
    expect(nearestName("ab", ["ac", "ad"])).toBe("ac");
  });
});
