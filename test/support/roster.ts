// Building an office through the real commands: /setup, then /invite and /join for each person.
import type { TestAdapter } from "./test-adapter.ts";

/** The admin sets up; returns a function that invites and joins one more person (their chat id = `id`). */
export async function setupOffice(chat: TestAdapter, admin = "wang", adminName = "王主任", office = "城关镇") {
  await chat.say(admin, `/setup ${adminName} ${office}`);
  return async function join(id: string, name: string, role = "member", unit = "", supervisor = ""): Promise<void> {
    const [reply] = await chat.say(admin, `/invite ${name} ${role} ${unit} ${supervisor}`.trim());
    const code = /([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(reply ?? "")?.[1];
    if (!code) throw new Error(`no invite code in: ${reply}`);
    const [welcome] = await chat.say(id, `/join ${code}`);
    if (!welcome?.includes(name)) throw new Error(`join failed: ${welcome}`);
  };
}
