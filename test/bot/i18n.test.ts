import { describe, expect, it } from "vitest";
import { t } from "../../src/bot/i18n/index.ts";

describe("t", () => {
  it("fills in values, and the singular or plural word English needs for a count", () => {
    expect(t("en", "circular.previewTo", { to: "Office", count: 1 })).toBe("To: Office (1 person)");
    expect(t("en", "circular.previewTo", { to: "Office", count: 12 })).toBe("To: Office (12 people)");
    expect(t("en", "circular.chaseTimes", { count: 1 })).toBe("Chasing: at most 1 time (working hours)");
    expect(t("zh-CN", "circular.previewTo", { to: "党政办", count: 1 })).toBe("发给：党政办（共 1 人）");
  });

  it("leaves a placeholder without a value visible rather than inventing one", () => {
    expect(t("en", "circular.previewTo", { to: "Office" })).toBe("To: Office ({count} {count:person|people})");
  });
});
