// The console in a real pseudo-terminal, as `npm start` runs it: a prompt naming who is typing, echo and
// line editing, bot messages printed above the prompt and the half-typed line, Ctrl-D and Ctrl-C quitting.
import { afterAll, describe, expect, it } from "vitest";
import { consoleEnvironment } from "../../support/cli.ts";
import { KEY, TerminalSession } from "../../support/terminal.ts";

describe("console in a terminal", () => {
  const { env, cleanup } = consoleEnvironment("postgres", "console-tty");
  const sessions: TerminalSession[] = [];
  afterAll(async () => {
    for (const s of sessions) s.kill();
    await cleanup();
  });
  const open = () => {
    const s = new TerminalSession(env);
    sessions.push(s);
    return s;
  };
  const lastRow = (s: TerminalSession) => s.screen().filter((row) => row !== "").at(-1);

  it("prompts, echoes what is typed, keeps the prompt below bot messages, and quits on Ctrl-D", async () => {
    const s = open();
    await s.waitForScreen(/^wang> $/m, 90_000); // a cold start: tsx compiles, migrations run

    s.type("/whoami");
    // The typed command stays on the screen after its prompt; the answer comes below it, then a new prompt.
    await s.waitForScreen(/^wang> \/whoami\nRelay ▸ 本单位还没有管理员。.*\n(?:.*\n)*wang> $/m); // long: it wraps

    // Once the console user is on the roster, the prompt (and messages to them) use the roster name.
    s.type("/setup 王主任 城关镇");
    await s.waitForScreen(/^Relay ▸ 初始化完成：王主任，你是第一位管理员。.*\n(?:.*\n)*王主任> $/m);

    // A message that arrives while a line is half typed prints above it; the prompt and the text come back below.
    s.type("/remind 2秒后 测试");
    await s.waitForScreen(/^Relay ▸ 好的，将在 .+ 提醒你：测试（#\d+）/m);
    s.press("/who");
    await s.waitForScreen(/^Relay ▸ ⏰ 提醒：测试\n\s+\[\d+\] ✓ 完成\n.*\n王主任> \/who$/m);
    expect(lastRow(s)).toBe("王主任> /who");
    expect(s.screen().filter((row) => row.includes("/who") && !row.includes("/whoami"))).toEqual(["王主任> /who"]);

    // Line editing: a typo taken back with backspace, and a character inserted after moving left.
    await s.keys("a", "m", "x", KEY.backspace, "i", KEY.left, KEY.left, "m", KEY.backspace, KEY.enter);
    await s.waitForScreen(/^王主任> \/whoami\nRelay ▸ 王主任（#1）\n\s+角色：管理员/m);

    s.press(KEY.ctrlD);
    expect(await s.exit()).toBe(0);
    expect(s.output).not.toMatch(/"level":(50|60)/); // no error logs
  });

  it("names the person in the first prompt of a later run, and quits cleanly on Ctrl-C with a line half typed", async () => {
    const s = open();
    await s.waitForScreen(/^王主任> $/m, 90_000);
    s.press("写了一半");
    await s.waitForScreen(/^王主任> 写了一半$/m);
    s.press(KEY.ctrlC);
    expect(await s.exit()).toBe(0);
  });
});
