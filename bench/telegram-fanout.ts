// A notice to 2,000 people through the real Telegram adapter (webhook in, outbox + throttle out)
// against the fake Bot API enforcing Telegram's limits (30/s overall, 1/s a chat, 20/min a group).
// Prints achieved msg/s ÷ 30, 429s received, lost and duplicated. Run: npx tsx bench/telegram-fanout.ts [count]
import { callbackQuery, privateMessage, user } from "../test/support/fake-telegram.ts";
import { FakeTelegram } from "../test/support/fake-telegram.ts";
import { TelegramOffice } from "../test/support/telegram-office.ts";

const COUNT = Number(process.argv[2] ?? 2000);
const CEILING = 30;

const fake = await FakeTelegram.start(); // Telegram's limits on
const tg = await TelegramOffice.open("webhook", { fake });
try {
  const secretary = user(1, "赵秘书");
  await tg.deliver(privateMessage(secretary, "/setup 赵秘书 城关镇"));
  await tg.waitFor(secretary.id, "第一位管理员");
  // The roster: COUNT people with Telegram accounts (as `relay import` would leave them).
  const prisma = tg.db.prisma;
  const unit = await prisma.unit.findFirstOrThrow();
  for (let i = 0; i < COUNT; i += 500) {
    const batch = Array.from({ length: Math.min(500, COUNT - i) }, (_, k) => i + k);
    await prisma.person.createMany({ data: batch.map((n) => ({ name: `干部${n}`, unitId: unit.id })) });
  }
  const people = await prisma.person.findMany({ where: { name: { startsWith: "干部" } }, select: { id: true, name: true } });
  await prisma.identity.createMany({ data: people.map((p) => ({ personId: p.id, platform: "telegram" as const, externalId: String(100_000 + p.id) })) });

  await tg.deliver(privateMessage(secretary, "/notice 关于开展安全生产大检查的通知 内容 请于周五前完成自查 发给 全体 截止 3个工作日内"));
  const preview = await tg.waitFor(secretary.id, "请确认通知");
  const publish = (preview.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data;
  const before429 = fake.tooManyRequests;
  const started = performance.now();
  await tg.deliver(callbackQuery(secretary, preview, publish));
  await tg.waitFor(secretary.id, "已发布");

  const recipients = new Set(people.map((p) => 100_000 + p.id));
  let delivered = new Map<number, number>();
  const deadline = Date.now() + (COUNT / CEILING) * 3000 + 60_000;
  let last = started;
  while (Date.now() < deadline) {
    delivered = new Map();
    for (const call of fake.callsTo("sendMessage")) {
      const chat = Number(call.body.chat_id);
      if (recipients.has(chat) && String(call.body.text).includes("安全生产大检查")) delivered.set(chat, (delivered.get(chat) ?? 0) + 1);
    }
    if (delivered.size >= COUNT) {
      last = performance.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (last - started) / 1000;
  const rate = COUNT / seconds;
  const duplicated = [...delivered.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(`notice to ${COUNT} Telegram users through the adapter, fake Bot API enforcing Telegram's limits`);
  console.log(
    `  ${seconds.toFixed(1)} s, ${rate.toFixed(1)} msg/s = ${((rate / CEILING) * 100).toFixed(1)} % of ${CEILING}/s; ` +
      `429s received ${fake.tooManyRequests - before429}; lost ${COUNT - delivered.size}; duplicated ${duplicated}`,
  );
} finally {
  await tg.close();
}
