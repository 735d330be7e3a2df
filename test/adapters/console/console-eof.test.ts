// At the end of piped input, the console waits for what the last lines set going before Relay exits: a notice
// published as the last line reaches every recipient (through the outbox) before the process leaves.
import { afterAll, describe, expect, it } from "vitest";
import { consoleEnvironment, ConsoleSession } from "../../support/cli.ts";

const PEOPLE = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八"];

describe("console at end of input", () => {
  const { env, cleanup } = consoleEnvironment("postgres", "console-eof");
  let session: ConsoleSession | undefined;
  afterAll(async () => {
    session?.kill();
    await cleanup();
  });

  it("delivers every copy of a notice published by the last line before it exits", { timeout: 150_000 }, async () => {
    session = new ConsoleSession(env);
    const s = session;
    s.type("/setup 王主任 城关镇");
    await s.waitFor(/王主任，你是第一位管理员/, 90_000);
    s.type("/units add 党政办");
    await s.waitFor(/党政办/);
    for (const name of PEOPLE) {
      const mark = s.stdout.length;
      s.type(`/invite ${name} member 党政办 王主任`);
      const [, code] = await s.waitFor(/生成邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})/, 15_000, mark);
      s.type(`/as ${name}`);
      s.type(`/join ${code}`);
      await s.waitFor(new RegExp(`欢迎，${name}！`), 15_000, mark);
      s.type("/as 王主任");
    }

    const mark = s.stdout.length;
    s.type("/notice 关于周五开会的通知 内容 周五下午三点在三楼会议室开会 发给 党政办 截止 不限");
    const [, publish] = await s.waitFor(/\[(\d+)\] ✓ 发布/, 15_000, mark);
    // The last line: publish, then the input ends at once.
    s.type(publish!);
    expect(await s.end()).toBe(0);

    const copies = s.stdout.slice(mark).match(/^Relay → (\S+) ▸ 【通知】/gm) ?? [];
    expect(copies.map((line) => /→ (\S+) ▸/.exec(line)![1]).sort()).toEqual([...PEOPLE].sort());
  });
});
