// Read by the Prisma CLI. Relay applies migrations itself (`relay migrate`); this file lets
// `prisma migrate deploy` (on a machine with Prisma's engines) use the same folder and database.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/relay" },
});
