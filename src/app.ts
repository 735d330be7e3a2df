// What every flow gets: configuration, logging, the database, the clock, the office's calendar, the scheduler,
// the outbox and the bot.
import type { Logger } from "pino";
import type { Bot } from "./bot/bot.ts";
import type { Clock } from "./bot/clock.ts";
import type { Config } from "./config.ts";
import type { Database, PrismaClient } from "./db/database.ts";
import type { Outbox } from "./delivery/outbox.ts";
import type { OfficeCalendar } from "./office/office-calendar.ts";
import type { Scheduler } from "./queue/scheduler.ts";

export interface App {
  config: Config;
  log: Logger;
  db: Database;
  prisma: PrismaClient;
  clock: Clock;
  /** Which days are working days: chinese-days with the office's own holiday arrangement over it. */
  calendar: OfficeCalendar;
  scheduler: Scheduler;
  /** Every later message: paced to the platforms' limits, each sent once. */
  outbox: Outbox;
  bot: Bot;
}
