// Every later message goes through the outbox: no flow reaches an adapter's send or edit itself. The immediate
// answer to what a person just did goes through its context (ctx.reply, ctx.answer, ctx.replyPrivately,
// ctx.update); anything else is app.outbox.send. This reads the flows' source, so a new direct send fails here.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIRECT = /\b(?:bot|adapter|adapterFor\([^)]*\))\??\.(?:send|sendDirect|sendFile|sendFileDirect|edit)\s*\(/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("one outbox", () => {
  it("no flow sends or edits through the bot or an adapter itself", () => {
    const offenders = sources(join(ROOT, "src/flows")).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) => (DIRECT.test(line) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it("the check itself finds a direct send", () => {
    expect(DIRECT.test("await app.bot.send(chat, { text })")).toBe(true);
    expect(DIRECT.test("await app.bot.sendDirect(user, message)")).toBe(true);
    expect(DIRECT.test("await app.bot.edit(ref, message)")).toBe(true);
    expect(DIRECT.test("await app.outbox.send({ key, to, message })")).toBe(false);
    expect(DIRECT.test("await ctx.reply(text)")).toBe(false);
  });
});
