// How fast Relay acknowledges Slack: N signed slash commands and N button presses POSTed to /slack/events
// (the signature check included), timing each HTTP answer, the ack Slack needs within 3 seconds. The
// work each one starts (a reply through the rate-limited Web API) goes on after the ack and is not timed.
// Prints p50/p99/max per kind. Run: npx tsx bench/slack-ack.ts [count]
import { FakeSlack } from "../test/support/fake-slack.ts";
import { blockAction, slashCommand } from "../test/support/slack-signing.ts";
import { SlackOffice } from "../test/support/slack-office.ts";

const COUNT = Number(process.argv[2] ?? 500);
const fake = await FakeSlack.start();
const slack = await SlackOffice.open({ fake });

async function time(body: () => string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const started = performance.now();
    const res = await slack.post(body());
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    ms.push(performance.now() - started);
  }
  return ms.sort((a, b) => a - b);
}

const pct = (ms: number[], p: number) => ms[Math.min(ms.length - 1, Math.floor((ms.length * p) / 100))]!.toFixed(2);
try {
  // Many people (each its own channel), so the acks are not measured behind one chat's ordering.
  let n = 0;
  const user = () => `U0B${String(++n % 200).padStart(8, "0")}`;
  const commands = await time(() => {
    const u = user();
    return slashCommand({ command: "/relay", text: "帮助", user_id: u, channel_id: fake.dmWith(u), response_url: fake.responseUrl() });
  });
  const presses = await time(() => {
    const u = user();
    return blockAction({ user: u, channel: fake.dmWith(u), action_id: "circular.ack#0", value: "1", message_ts: "1732700000.000001", response_url: fake.responseUrl() });
  });
  console.log(`Slack acks over HTTP (signed, Bolt's receiver on Relay's port), ${COUNT} each, sequential`);
  console.log(`  slash commands: p50 ${pct(commands, 50)} ms, p99 ${pct(commands, 99)} ms, max ${commands.at(-1)!.toFixed(2)} ms`);
  console.log(`  button presses: p50 ${pct(presses, 50)} ms, p99 ${pct(presses, 99)} ms, max ${presses.at(-1)!.toFixed(2)} ms`);
} finally {
  await slack.close();
  await fake.close();
}
