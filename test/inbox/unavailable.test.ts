// Which failures mean "the database cannot be reached now": the shapes Prisma's pg adapter and pg throw against a
// cut TCP proxy (see telegram-outage.test.ts for the real thing), and errors that must stay bugs.
import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/bot/errors.ts";
import { databaseUnavailable, within } from "../../src/inbox/unavailable.ts";

describe("databaseUnavailable", () => {
  it("knows a refused, closed or timed-out connection, however wrapped", () => {
    const refused = Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), {
      code: "P1001", meta: { driverAdapterError: { name: "DriverAdapterError", cause: { kind: "DatabaseNotReachable" } } },
    });
    expect(databaseUnavailable(refused)).toBe(true);
    expect(databaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(databaseUnavailable(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
    expect(databaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(databaseUnavailable(Object.assign(new Error("the database system is shutting down"), { code: "57P01" }))).toBe(true);
    expect(databaseUnavailable(new Error("query failed", { cause: new Error("Connection terminated unexpectedly") }))).toBe(true);
    expect(databaseUnavailable(new StoreUnavailableError("database"))).toBe(true);
  });

  it("leaves real failures to be bugs", () => {
    expect(databaseUnavailable(Object.assign(new Error("Unique constraint failed"), { code: "P2002" }))).toBe(false);
    expect(databaseUnavailable(new TypeError("x is undefined"))).toBe(false);
    expect(databaseUnavailable(new StoreUnavailableError("redis"))).toBe(false);
    expect(databaseUnavailable(undefined)).toBe(false);
  });

  it("counts a store that does not answer in time as down", async () => {
    await expect(within("redis", 20, new Promise(() => {}))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await within("database", 1000, Promise.resolve(7))).toBe(7);
  });
});
