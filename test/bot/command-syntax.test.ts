import { describe, expect, it } from "vitest";
import { forPlatform, slash } from "../../src/bot/command-syntax.ts";

describe("command syntax per platform", () => {
  it("types a command as /name, or on Slack as /relay name", () => {
    expect([slash("telegram", "remind"), slash("console", "remind"), slash("slack", "remind")]).toEqual(["/remind", "/remind", "/relay remind"]);
  });

  it("rewrites the /name examples of help and usage text for Slack, and nothing else", () => {
    const usage = "邀请 姓名 [角色]，例如：/invite 李明 成员 党政办（也可用编号：/invite #12）；文件见 https://example.org/a/b 或 docs/x";
    expect(forPlatform(usage, "slack")).toBe(
      "邀请 姓名 [角色]，例如：/relay invite 李明 成员 党政办（也可用编号：/relay invite #12）；文件见 https://example.org/a/b 或 docs/x",
    );
    expect(forPlatform("/lang en, e.g. /lang zh", "slack")).toBe("/relay lang en, e.g. /relay lang zh");
    expect(forPlatform(usage, "telegram")).toBe(usage);
  });
});
