// The done-means conversation: the real `relay start` with piped stdin, real Redis, PGlite and PostgreSQL.
import { afterAll, describe, expect, it } from "vitest";
import { consoleEnvironment, ConsoleSession, runRelay } from "../../support/cli.ts";

describe.each(["pglite", "postgres"] as const)("console conversation on %s", (kind) => {
  const { env, cleanup } = consoleEnvironment(kind);
  let session: ConsoleSession | undefined;
  afterAll(async () => {
    session?.kill();
    await cleanup();
  });

  it("sets up, invites, joins, answers whoami and fires a reminder two seconds later", { timeout: 150_000 }, async () => {
    session = new ConsoleSession(env);
    const s = session;
    s.type("/setup 王主任 城关镇");
    await s.waitFor(/王主任，你是第一位管理员/, 90_000); // a cold start: tsx compiles, PGlite runs initdb

    s.type("/invite 李明 member 党政办 王主任");
    const [, code] = await s.waitFor(/生成邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})/);

    s.type("/as 李明");
    await s.waitFor(/（现在以 李明 的身份输入）/);
    s.type(`/join ${code}`);
    await s.waitFor(/Relay ▸ 欢迎，李明！你已加入名册（成员，党政办）/);
    // Messages to another console account name the person, not the login.
    await s.waitFor(/Relay → 王主任 ▸ 李明 已通过你的邀请码加入。/);

    s.type("/whoami");
    await s.waitFor(/Relay ▸ 李明（#2）\n\s+角色：成员\n\s+单位：党政办\n\s+上级：王主任/);

    // A real process on the machine's clock: the reminder cannot fire before its two seconds are up (however
    // busy the machine), and when it fires late the wait for it only takes longer.
    const mark = s.stdout.length;
    const typedAt = Date.now();
    s.type("/remind 2秒后 测试");
    await s.waitFor(/Relay ▸ 好的，将在 .+ 提醒你：测试（#1）/, undefined, mark);
    const [fired] = await s.waitFor(/Relay ▸ ⏰ 提醒：测试\n\s+\[(\d+)\] ✓ 完成/, undefined, mark);
    expect(Date.now() - typedAt).toBeGreaterThanOrEqual(2000);

    // Buttons print as numbers: pressing one is typing it.
    const button = /\[(\d+)\] ✓ 完成/.exec(fired)![1]!;
    s.type(button);
    await s.waitFor(/Relay ▸ 已完成：测试/, undefined, mark);

    // Back to the admin by name: "/as 王主任" finds wang's console account, not a stranger called 王主任.
    const back = s.stdout.length;
    s.type("/as 王主任");
    s.type("/whoami");
    await s.waitFor(/Relay ▸ 王主任（#1）\n\s+角色：管理员/, undefined, back);

    expect(await s.end()).toBe(0);
    expect(s.stderr).not.toMatch(/"level":(50|60)/); // no error logs
  });

  it("works with piped input and exits cleanly at its end", async () => {
    const { code, stdout } = await runRelay(["start"], env, "/help\n帮助\n");
    expect(code).toBe(0);
    expect(stdout).toContain("你可以使用这些命令（管理员）"); // the database of the test above
    expect(stdout.match(/邀请 \(\/invite\)/g)).toHaveLength(2);
  });

  it("handles piped lines in order from a cold start, the console's own lines (/as) included", async () => {
    // Lines arrive before Relay has finished starting: each is answered before the next is read.
    const { code, stdout } = await runRelay(["start"], env, "/whoami\n/as 访客\n/whoami\n/as 王主任\n");
    expect(code).toBe(0);
    const order = ["Relay ▸ 王主任（#1）", "（现在以 访客 的身份输入）", "Relay ▸ 你还不在本单位名册中", "（现在以 王主任 的身份输入）"].map((line) => stdout.indexOf(line));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
