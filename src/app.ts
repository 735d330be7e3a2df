// What every flow gets: configuration, logging, the database, the clock, the scheduler and the bot.
import type { Logger } from "pino";
import type { Bot } from "./bot/bot.ts";
import type { Clock } from "./bot/clock.ts";
import type { Config } from "./config.ts";
import type { Database, PrismaClient } from "./db/database.ts";
import type { DeliverQueue } from "./queue/deliver-queue.ts";
import type { Scheduler } from "./queue/scheduler.ts";

export interface App {
  config: Config;
  log: Logger;
  db: Database;
  prisma: PrismaClient;
  clock: Clock;
  scheduler: Scheduler;
  /** Rate-limited fan-out: one job per recipient. */
  deliver: DeliverQueue;
  bot: Bot;
}
