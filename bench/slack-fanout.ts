// Two notices to N people on Slack through the real Slack adapter (signed HTTP in, outbox + SlackApi out)
// against the fake Web API, which answers a 429 (Retry-After: 1) to every 50th post. Prints, for a cold and a
// warm fan-out, the achieved msg/s ÷ the workspace budget, the busiest second overall and in one channel, 429s,
// conversations.open calls, lost and duplicated. Run: npx tsx bench/slack-fanout.ts [count] [rate per second]
import { FakeSlack } from "../test/support/fake-slack.ts";
import { SlackOffice, textOf } from "../test/support/slack-office.ts";

const COUNT = Number(process.argv[2] ?? 150);
const RATE = Number(process.argv[3] ?? 3); // RELAY_DELIVER_RATE's default for Slack
const secretary = "U0ZHAOMISHU";

const fake = await FakeSlack.start();
const slack = await SlackOffice.open({ fake, env: { RELAY_DELIVER_RATE: `slack=${RATE}/s` } });
try {
  await slack.dm(secretary, "/setup 赵秘书 城关镇");
  await slack.waitFor(secretary, "第一位管理员");
  // The roster: COUNT people with Slack accounts (as `relay import` plus /link would leave them).
  const prisma = slack.db.prisma;
  const unit = await prisma.unit.findFirstOrThrow();
  await prisma.person.createMany({ data: Array.from({ length: COUNT }, (_, n) => ({ name: `干部${n}`, unitId: unit.id })) });
  const people = await prisma.person.findMany({ where: { name: { startsWith: "干部" } }, select: { id: true } });
  const userOf = (personId: number) => `U0P${String(personId).padStart(8, "0")}`;
  await prisma.identity.createMany({ data: people.map((p) => ({ personId: p.id, platform: "slack" as const, externalId: userOf(p.id) })) });

  // Cold: Relay has never written to these people, so each direct chat is opened first (conversations.open,
  // Slack's Tier 3: ~50 a minute after a burst). Warm: the second notice finds them remembered in Redis.
  const users = people.map((p) => userOf(p.id));
  await fanOut("cold", "关于开展安全生产大检查的通知", users);
  await fanOut("warm", "关于报送年度工作总结的通知", users);
} finally {
  await slack.close();
  await fake.close();
}

async function fanOut(label: string, title: string, users: string[]): Promise<void> {
  const opensBefore = fake.callsTo("conversations.open").length;
  const limitedBefore = fake.rateLimited;
  await slack.dm(secretary, `/notice ${title} 发给 全体 截止 3个工作日内`);
  const preview = await slack.waitFor(secretary, new RegExp(`请确认通知.*${title}`, "s"));
  const started = performance.now();
  let posts = fake.callsTo("chat.postMessage").length;
  const throttled = setInterval(() => {
    // Every 50th post is refused with a 429, as a busy workspace would.
    const now = fake.callsTo("chat.postMessage").length;
    if (Math.floor(now / 50) > Math.floor(posts / 50)) fake.rateLimitNext("chat.postMessage", 1, 1);
    posts = now;
  }, 100);
  await slack.press(secretary, preview, "circular.publish");

  const wanted = new Set(users.map((u) => fake.dmWith(u)));
  let delivered = new Map<string, string[]>();
  const deadline = Date.now() + (users.length / RATE) * 3000 + 5 * 60_000;
  let last = started;
  while (Date.now() < deadline) {
    delivered = new Map();
    for (const m of fake.posted()) {
      if (wanted.has(m.channel) && textOf(m).includes(title)) delivered.set(m.channel, [...(delivered.get(m.channel) ?? []), m.ts]);
    }
    if (delivered.size >= users.length) {
      last = performance.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  clearInterval(throttled);
  const seconds = (last - started) / 1000;
  const rate = delivered.size / seconds;
  const duplicated = [...delivered.values()].reduce((sum, ts) => sum + ts.length - 1, 0);
  // The fake stamps each message with the second it was posted: the busiest second, overall and in one channel.
  const perSecond = new Map<string, number>();
  const perChannelSecond = new Map<string, number>();
  for (const m of fake.posted()) {
    if (!textOf(m).includes(title)) continue;
    const second = m.ts.split(".")[0]!;
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    perChannelSecond.set(`${m.channel}@${second}`, (perChannelSecond.get(`${m.channel}@${second}`) ?? 0) + 1);
  }
  console.log(`${label}: notice to ${users.length} Slack users through the adapter, workspace budget ${RATE}/s, a 429 every 50th post`);
  console.log(
    `  ${seconds.toFixed(1)} s, ${rate.toFixed(2)} msg/s = ${((rate / RATE) * 100).toFixed(1)} % of ${RATE}/s; ` +
      `busiest second ${Math.max(...perSecond.values())} posts, busiest channel-second ${Math.max(...perChannelSecond.values())}; ` +
      `429s ${fake.rateLimited - limitedBefore}; conversations.open ${fake.callsTo("conversations.open").length - opensBefore}; ` +
      `lost ${users.length - delivered.size}; duplicated ${duplicated}`,
  );
}
