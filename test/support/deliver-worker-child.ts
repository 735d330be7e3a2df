// A deliver worker in its own process, for the kill test in test/delivery/send-queue.test.ts: it opens the
// test's schema and Redis prefix (DELIVER_SCHEMA, DELIVER_PREFIX), delivers console receipts until SIGTERM
// (then closes cleanly) or SIGKILL (then dies mid-send), and prints one JSON line per finished job.
//
// The "send" is a row in the test table `sends`, written in the SAME transaction as the receipt's
// messageId, so the send and its record commit together or not at all and a rerun after a crash finds
// either both or neither: exactly once. A real chat platform is outside our transaction; there the
// equivalent is at most once per receipt row (claim the row before sending) plus the `uncertain` state for
// a send whose answer never came, which is not resent blindly.
import { pino } from "pino";
import { openDatabase } from "../../src/db/database.ts";
import { SendQueue } from "../../src/delivery/send-queue.ts";
import { connectRedis } from "../../src/queue/redis.ts";
import { TEST_DATABASE_URL } from "./db.ts";
import { TEST_REDIS_URL } from "./redis.ts";

const schema = required("DELIVER_SCHEMA");
const prefix = required("DELIVER_PREFIX");
// Time spent inside the transaction (the send) and after its commit (BullMQ marking the job done): a kill
// in the first leaves the send rolled back, a kill in the second a committed send whose job reruns.
const sendMs = Number(process.env.DELIVER_SEND_MS ?? 10);
const afterMs = Number(process.env.DELIVER_AFTER_MS ?? 20);
const concurrency = Number(process.env.DELIVER_CONCURRENCY ?? 4);

const db = await openDatabase({ url: TEST_DATABASE_URL, schema });
const redis = connectRedis(TEST_REDIS_URL);
// Warnings (a job recovered from a dead worker is "stalled") go to stderr as JSON for the test to read.
const log = pino({ level: "warn", base: { pid: process.pid } }, pino.destination(2));
const deliver = new SendQueue({
  keepCompleted: true,
  connection: redis,
  prefix,
  log,
  // A killed worker's jobs run again once their lock lapses and a stalled check sees it: keep both short.
  lockDuration: 2000,
  stalledInterval: 1000,
});

deliver.handle(async (receiptId, { platform }) => {
  const outcome = await db.prisma.$transaction(async (tx) => {
    const claimed = await tx.receipt.updateMany({
      where: { id: receiptId, messageId: null },
      data: { delivery: "sent", platform, chatId: `chat-${receiptId}`, messageId: `m-${receiptId}-${process.pid}`, deliveredAt: new Date() },
    });
    if (claimed.count === 0) return "skipped" as const;
    await tx.$executeRaw`INSERT INTO sends (receipt, pid) VALUES (${receiptId}, ${process.pid})`;
    // The send takes a while, so a SIGKILL lands while transactions are open and jobs are active.
    await new Promise((resolve) => setTimeout(resolve, sendMs));
    return "sent" as const;
  });
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  process.stdout.write(`${JSON.stringify({ receiptId, outcome, pid: process.pid })}\n`);
  return outcome;
});
deliver.startWorkers(concurrency);
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);

process.once("SIGTERM", () => {
  void (async () => {
    await deliver.close();
    await redis.quit();
    await db.close();
    process.exit(0);
  })();
});

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
