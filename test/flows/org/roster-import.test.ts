// `relay import roster.csv`: parsing without a database, then importing into real PostgreSQL and PGlite.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { PrismaClient } from "../../../src/db/database.ts";
import { decodeRoster, formatRosterError, importRoster, parseRoster } from "../../../src/flows/org/roster-import.ts";
import { testDatabase, type TestDatabase } from "../../support/db.ts";

const EXAMPLE = fileURLToPath(new URL("../../../docs/roster-example.csv", import.meta.url));

// "姓名,单位,角色\r\n张三,综治办,成员\r\n" as Excel saves it on Chinese Windows (GBK), from Python's str.encode("gbk").
const GBK_ROSTER = Buffer.from("d0d5c3fb2cb5a5cebb2cbdc7c9ab0d0ad5c5c8fd2cd7dbd6ceb0ec2cb3c9d4b10d0a", "hex");

// What a report ends with while the roster has no admin: how the first one is made.
const NO_ADMIN = "下一步：名册中还没有管理员。启动 Relay（npm start，或已安装时 relay start）后，在与 Relay 的私聊中发送：/setup 姓名 [单位]，成为第一位管理员；名册中已有的人会关联到自己的记录，例如：/setup 李书记 城关镇";

const lines = (text: string) => parseRoster(text).errors.map((e) => e.line);
const messages = (text: string, locale: "zh-CN" | "en" = "zh-CN") => parseRoster(text).errors.map((e) => formatRosterError(e, locale));

describe("parseRoster", () => {
  it("reads Chinese headers, a BOM, CRLF, quoted commas, newlines and quotes, and skips blank lines", () => {
    const text = '\uFEFF姓名,部门,上级单位,角色,上级,telegram,语言\r\n"王""小""五",党政办,城关镇,办公室,,42,中文\r\n\r\n,,,,,,\r\n"多\r\n行名",综治办,,成员,"王""小""五",,\r\n赵六,"网格一, 北片",综治办,,,,\r\n';
    const { rows, errors } = parseRoster(text);
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { line: 2, name: '王"小"五', unit: "党政办", parentUnit: "城关镇", role: "secretary", supervisor: undefined, telegram: "42", slack: undefined, locale: "zh-CN" },
      { line: 5, name: "多\n行名", unit: "综治办", parentUnit: undefined, role: "member", supervisor: '王"小"五', telegram: undefined, slack: undefined, locale: undefined },
      { line: 7, name: "赵六", unit: "网格一, 北片", parentUnit: "综治办", role: undefined, supervisor: undefined, telegram: undefined, slack: undefined, locale: undefined },
    ]);
  });

  it("reads English headers in any case, roles in either language, and upper-cases Slack ids", () => {
    const { rows, errors } = parseRoster("Name,UNIT,Parent Unit,role,supervisor,slack,locale\nLi,Office,Town,Leader,,u0123abcd,en-US\nWang,Office,,秘书,Li,W0ABC,\n");
    expect(errors).toEqual([]);
    expect(rows.map((r) => [r.name, r.parentUnit, r.role, r.slack, r.locale])).toEqual([
      ["Li", "Town", "leader", "U0123ABCD", "en"],
      ["Wang", undefined, "secretary", "W0ABC", undefined],
    ]);
  });

  it("reports every bad row by its line, in Chinese by default and in English", () => {
    const text = [
      "姓名,单位,上级单位,角色,上级,telegram,slack,语言",
      "李书记,城关镇,,领导,,1001,,", // 2: fine
      ",党政办,,成员,,,,", // 3: no name
      "周主任,党政办,,boss,,,,", // 4: bad role
      "吴干事,党政办,,成员,,12a,,", // 5: telegram not numeric
      "钱主任,综治办,,成员,,1001,,", // 6: telegram already on line 2
      "孙干事,综治办,,成员,孙干事,,,", // 7: own supervisor
      "张三,甲村,,成员,,,,", // 8
      "张三,乙村,,成员,,,,", // 9
      "郑专干,综治办,,成员,张三,,,", // 10: which 张三?
      "冯一,A,B,成员,,,,", // 11: A → B
      "冯二,B,A,成员,,,,", // 12: B → A, a cycle
      "冯三,党政办,乡政府,成员,,,,", // 13: 党政办 has no parent yet, so fine
      "冯四,党政办,县政府,成员,,,x1,法语", // 14: parent contradicts line 13, bad slack id, bad locale
      "冯五,,,成员,,,,,多余", // 15: no unit, a value beyond the header
    ].join("\n");
    expect(lines(text)).toEqual([3, 4, 5, 6, 7, 10, 11, 14, 14, 14, 15, 15]);
    expect(messages(text)).toEqual([
      "第 3 行：缺少姓名",
      "第 4 行：角色“boss”无效，应为 管理员/领导/秘书/成员 或 admin/leader/secretary/member",
      "第 5 行：telegram 号“12a”应为纯数字",
      "第 6 行：telegram 号 1001 与第 2 行重复",
      "第 7 行：不能做自己的上级",
      "第 10 行：上级“张三”有 2 人同名，无法确定是哪一位",
      "第 11 行：上级单位形成循环：A → B → A",
      "第 14 行：slack 账号“x1”无效，应形如 U0123ABCD",
      "第 14 行：语言“法语”无效，应为 中文 或 English",
      "第 14 行：单位“党政办”的上级单位写作“县政府”，与第 13 行的“乡政府”不一致",
      "第 15 行：有 1 个值不在任何列名之下；含逗号的值要用英文双引号括起来",
      "第 15 行：缺少单位",
    ]);
    expect(messages(text, "en")[1]).toBe('line 4: role "boss" is not one of admin, leader, secretary, member');
    expect(messages(text, "en")[3]).toBe("line 6: telegram id 1001 is also on line 2");
  });

  it("rejects a header it does not understand before reading any row", () => {
    expect(messages("姓名,职务,部门,单位\n张三,主任,党政办,党政办\n")).toEqual([
      "第 1 行：不认识的列名“职务”，可用：姓名、单位（部门）、上级单位、角色、上级、telegram、slack、语言",
      "第 1 行：列名“单位”出现了两次",
    ]);
    expect(messages("role,telegram\nmember,1\n", "en")).toEqual(['line 1: the header has no "name" column', 'line 1: the header has no "unit" column']);
    expect(messages("\uFEFF\r\n,,\r\n")).toEqual(["第 1 行：文件是空的，第一行应为表头（姓名,单位,角色,…）"]);
  });

  it("refuses two rows of one name in one unit that nothing tells apart, and warns of namesakes elsewhere", () => {
    const text = [
      "姓名,单位,telegram",
      "王磊,党政办,", // 2
      "王磊,党政办,", // 3: the same line pasted twice?
      "王磊,综治办,", // 4: a namesake in another unit
      "李娜,东山村,3001", // 5
      "李娜,东山村,3002", // 6: two people, told apart by their accounts
    ].join("\n");
    const parsed = parseRoster(text);
    expect(parsed.errors.map((e) => formatRosterError(e, "zh-CN"))).toEqual([
      "第 3 行：与第 2 行同名同单位（王磊，党政办），无法区分：若是同一人，请删去一行；若确是两人，请为两人都填上 telegram 或 slack 号",
    ]);
    expect(parsed.warnings.map((w) => formatRosterError(w, "en"))).toEqual([
      "line 4: 王磊 (综治办) has the same name as line 2 (党政办); imported as two people. As a supervisor the name is ambiguous; in chat name them by number (/people shows it)",
      "line 6: 李娜 (东山村) has the same name as line 5 (东山村); imported as two people. As a supervisor the name is ambiguous; in chat name them by number (/people shows it)",
    ]);
  });

  it("points at the line where an unclosed quote starts", () => {
    expect(messages('name,unit\nLi,Office\n"Wang,Office\nZhao,Office\n', "en")).toEqual(["line 3: a quote opened on this line is never closed"]);
  });
});

describe("decodeRoster", () => {
  it("reads UTF-8 with or without a BOM, and GBK as Excel and WPS save it", () => {
    expect(decodeRoster(Buffer.from("\uFEFF姓名,单位\n", "utf8"))).toBe("姓名,单位\n");
    expect(decodeRoster(Buffer.from("姓名,单位\n", "utf8"))).toBe("姓名,单位\n");
    expect(decodeRoster(GBK_ROSTER)).toBe("姓名,单位,角色\r\n张三,综治办,成员\r\n");
  });
});

describe.each(["postgres", "pglite"] as const)("importRoster on %s", (kind) => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let dir: string;
  beforeAll(async () => {
    db = await testDatabase(kind);
    prisma = db.prisma;
    dir = mkdtempSync(join(tmpdir(), "relay-roster-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let fileNo = 0;
  const file = (content: string | Buffer) => {
    const path = join(dir, `roster-${++fileNo}.csv`);
    writeFileSync(path, content);
    return path;
  };
  const counts = async () => ({
    units: await prisma.unit.count(),
    people: await prisma.person.count(),
    identities: await prisma.identity.count(),
    audit: await prisma.auditEvent.count(),
  });
  const person = (name: string) => prisma.person.findFirstOrThrow({ where: { name }, include: { unit: true, supervisor: true, identities: true } });

  // 郑专干's supervisor 钱主任 comes two lines later.
  const office = [
    "姓名,单位,上级单位,角色,上级,telegram,slack,语言",
    "李书记,城关镇,,领导,,1001,,中文",
    "周主任,党政办,城关镇,秘书,李书记,1002,U0PAR001,",
    "吴干事,党政办,,成员,周主任,1003,,en",
    "郑专干,综治办,城关镇,成员,钱主任,,,",
    "钱主任,综治办,,领导,李书记,1005,,",
    "冯委员,东山村,城关镇,成员,李书记,,,",
  ].join("\r\n");

  it("imports a roster: the unit tree, people, accounts, supervisors and an audit trail", async () => {
    const result = await importRoster(prisma, file(office));
    expect(result).toEqual({ ok: true, report: `导入完成：新建 4 个单位，新增 6 人，更新 0 人。\n${NO_ADMIN}`, units: 4, created: 6, updated: 0 });

    const units = await prisma.unit.findMany({ include: { parent: true }, orderBy: { id: "asc" } });
    expect(units.map((u) => [u.name, u.parent?.name ?? null])).toEqual([
      ["城关镇", null],
      ["党政办", "城关镇"],
      ["综治办", "城关镇"],
      ["东山村", "城关镇"],
    ]);
    const zhou = await person("周主任");
    expect(zhou).toMatchObject({ role: "secretary", unit: { name: "党政办" }, supervisor: { name: "李书记" } });
    expect(zhou.identities.map((i) => `${i.platform}:${i.externalId}`).sort()).toEqual(["slack:U0PAR001", "telegram:1002"]);
    expect(await person("郑专干")).toMatchObject({ role: "member", unit: { name: "综治办" }, supervisor: { name: "钱主任" }, identities: [] });
    expect(await person("吴干事")).toMatchObject({ locale: "en", supervisor: { name: "周主任" } });
    expect(await person("李书记")).toMatchObject({ role: "leader", locale: "zh-CN", supervisorId: null });

    const audit = await prisma.auditEvent.findMany({ orderBy: { id: "asc" } });
    expect(audit.filter((a) => a.action === "unit.create")).toHaveLength(4);
    expect(audit.filter((a) => a.action === "roster.import.create").map((a) => (a.data as { name: string }).name)).toEqual(["李书记", "周主任", "吴干事", "郑专干", "钱主任", "冯委员"]);
    expect(audit.at(-1)).toMatchObject({ action: "roster.import", actorId: null, data: { rows: 6, units: 4, created: 6, updated: 0 } });
  });

  it("does nothing but log the attempt when the same file is imported again", async () => {
    const before = await counts();
    const result = await importRoster(prisma, file(office));
    expect(result).toMatchObject({ ok: true, report: `导入完成：新建 0 个单位，新增 0 人，更新 0 人。\n${NO_ADMIN}`, created: 0, updated: 0 });
    expect(await counts()).toEqual({ ...before, audit: before.audit + 1 });
    const last = await prisma.auditEvent.findFirstOrThrow({ orderBy: { id: "desc" } });
    expect(last).toMatchObject({ action: "roster.import", data: { created: 0, updated: 0, units: 0 } });
  });

  it("updates people found by account or by name and unit, and leaves blank cells alone", async () => {
    const zhou = await person("周主任");
    const changes = [
      "name,unit,role,supervisor,telegram",
      "吴干事,综治办,member,钱主任,1003", // found by telegram: moves unit, new supervisor
      "冯委员,东山村,leader,,2006", // found by name and unit: promoted, gains an account
      "陈新,西河村,member,冯委员,", // new, in a new unit that goes under the office's root
      "郑专干,综治办,,,", // blank cells: unchanged
    ].join("\n");
    const result = await importRoster(prisma, file(changes), { actorId: zhou.id, locale: "en" });
    expect(result).toMatchObject({ ok: true, units: 1, created: 1, updated: 2 });
    expect(result.report.split("\n")[0]).toBe("Imported: 1 unit created, 1 person added, 2 updated.");
    expect(result.report).toContain("Next: the roster has no admin yet.");

    const wu = await person("吴干事");
    expect(wu).toMatchObject({ unit: { name: "综治办" }, supervisor: { name: "钱主任" }, locale: "en" });
    expect(await person("冯委员")).toMatchObject({ role: "leader", identities: [{ platform: "telegram", externalId: "2006" }] });
    expect(await person("陈新")).toMatchObject({ unit: { name: "西河村" }, supervisor: { name: "冯委员" } });
    expect(await prisma.unit.findUniqueOrThrow({ where: { name: "西河村" }, include: { parent: true } })).toMatchObject({ parent: { name: "城关镇" } });
    expect(await person("郑专干")).toMatchObject({ role: "member", supervisor: { name: "钱主任" } });

    const update = await prisma.auditEvent.findFirstOrThrow({ where: { action: "roster.import.update", entityId: String(wu.id) } });
    expect(update).toMatchObject({ actorId: zhou.id, data: { changes: { unitId: { to: wu.unitId }, supervisorId: { to: wu.supervisorId } } } });
  });

  it("reports every bad row, including what only the roster can tell, and writes nothing", async () => {
    const before = await counts();
    const bad = [
      "姓名,单位,角色,上级,telegram",
      "好人甲,党政办,成员,,",
      "坏人乙,党政办,boss,,", // bad role
      "好人丙,综治办,成员,不存在的人,", // nobody of that name
      "好人丁,综治办,成员,,1002", // 周主任's account
    ].join("\n");
    const result = await importRoster(prisma, file(bad));
    expect(result).toEqual({
      ok: false,
      units: 0,
      created: 0,
      updated: 0,
      report: [
        "未导入任何数据，请改正以下 3 处错误后重试：",
        "第 3 行：角色“boss”无效，应为 管理员/领导/秘书/成员 或 admin/leader/secretary/member",
        "第 4 行：上级“不存在的人”既不在本文件中，也不在名册中",
        `第 5 行：telegram 号 1002 已绑定给名册中的另一人：周主任（#${(await person("周主任")).id}）`,
      ].join("\n"),
    });
    expect(await counts()).toEqual(before);
  });

  it("refuses to move an existing unit", async () => {
    const result = await importRoster(prisma, file("name,unit,parent_unit\n新人,东山村,西河村\n"), { locale: "en" });
    expect(result.ok).toBe(false);
    expect(result.report).toContain('line 2: unit "东山村" already exists and is not under "西河村"');
  });

  it("imports a GBK file saved by Excel on Chinese Windows", async () => {
    const result = await importRoster(prisma, file(GBK_ROSTER));
    expect(result).toMatchObject({ ok: true, created: 1 });
    expect(await person("张三")).toMatchObject({ role: "member", unit: { name: "综治办" } });
  });

  it("imports a UTF-8 file with a BOM and commas inside quoted cells", async () => {
    const text = '\uFEFF姓名,单位,上级单位,角色,上级\r\n网格员小何,"第一网格（北片, 东段）",综治办,成员,"钱主任"\r\n';
    const result = await importRoster(prisma, file(Buffer.from(text, "utf8")));
    expect(result).toMatchObject({ ok: true, units: 1, created: 1 });
    expect(await person("网格员小何")).toMatchObject({ unit: { name: "第一网格（北片, 东段）", parentId: (await prisma.unit.findUniqueOrThrow({ where: { name: "综治办" } })).id }, supervisor: { name: "钱主任" } });
  });

  it("says so when the file cannot be read", async () => {
    const result = await importRoster(prisma, join(dir, "missing.csv"), { locale: "en" });
    expect(result).toMatchObject({ ok: false, created: 0 });
    expect(result.report).toMatch(/^cannot read .*missing\.csv: ENOENT/);
  });

  it("refuses a parent unit a slip away from a known unit, naming the near one, and writes nothing", async () => {
    const before = await counts();
    // 党政办 exists (on the roster) and 综治办 is in this file: 党证办 and 综治力 are typos, 县政府 is just new.
    const text = ["姓名,单位,上级单位", "小张,一组,党证办", "小王,二组,综治力", "小李,综治办,", "小赵,三组,县政府"].join("\n");
    const result = await importRoster(prisma, file(text));
    expect(result.ok).toBe(false);
    expect(result.report.split("\n")).toEqual([
      "未导入任何数据，请改正以下 2 处错误后重试：",
      "第 2 行：上级单位“党证办”在本文件和名册中都没有，是不是“党政办”？若确是另一个新单位，请先在聊天中用“单位 添加 党证办”建立，再导入",
      "第 3 行：上级单位“综治力”在本文件和名册中都没有，是不是“综治办”？若确是另一个新单位，请先在聊天中用“单位 添加 综治力”建立，再导入",
    ]);
    expect(await counts()).toEqual(before);
  });

  it("imports a namesake of someone on the roster as a second person, and says so", async () => {
    const result = await importRoster(prisma, file("name,unit\n周主任,综治办\n"), { locale: "en" });
    const zhou = await prisma.person.findFirstOrThrow({ where: { name: "周主任" }, orderBy: { id: "asc" } });
    expect(result).toMatchObject({ ok: true, created: 1 });
    expect(result.report.split("\n").slice(1, 3)).toEqual([
      "Please note:",
      `line 2: 周主任 is already on the roster in 党政办 (#${zhou.id}); this adds a second person. If it is the same person moving units, put their telegram or slack id on this line: the import finds them by it and updates them`,
    ]);
    expect(await prisma.person.count({ where: { name: "周主任" } })).toBe(2);
  });

  it("ends by saying how the first admin is made, or how an imported admin links their account", async () => {
    const fresh = await testDatabase(kind);
    onTestFinished(() => fresh.drop());
    const withAdmin = "姓名,单位,上级单位,角色,telegram\n陈建国,青石镇,,管理员,\n刘芳,党政办,青石镇,秘书,5001\n";
    expect((await importRoster(fresh.prisma, file(withAdmin))).report.split("\n").at(-1)).toBe(
      "下一步：管理员 陈建国 还没有聊天账号。启动 Relay（npm start，或已安装时 relay start）后，请 陈建国 在与 Relay 的私聊中发送：/setup 陈建国，把自己的账号关联到名册中的这条记录。",
    );
    const admin = await fresh.prisma.person.findFirstOrThrow({ where: { name: "陈建国" } });
    await fresh.prisma.identity.create({ data: { personId: admin.id, platform: "telegram", externalId: "5000" } });
    expect((await importRoster(fresh.prisma, file("姓名,单位\n王磊,党政办\n"))).report.split("\n").slice(1)).toEqual([
      "管理员 陈建国 已有聊天账号，可直接在聊天中使用 Relay。",
      "名册中 1 人还没有聊天账号：管理员或秘书用“邀请 姓名”为他们生成邀请码，加入后关联到原记录。",
    ]);
    // Taking the role from the only admin who can act would leave the office with none.
    const demote = await importRoster(fresh.prisma, file("name,unit,role\n陈建国,青石镇,leader\n"), { locale: "en" });
    expect(demote.report.split("\n")).toEqual([
      "Nothing was imported; fix this problem and try again:",
      "line 2: 陈建国 is an admin who can act; importing would make them a leader, leaving the office without an admin. Make this line's role admin, or leave it blank",
    ]);
    expect(await fresh.prisma.person.findUniqueOrThrow({ where: { id: admin.id } })).toMatchObject({ role: "admin" });
  });

  it("imports the example in docs/ into a fresh office", async () => {
    const fresh = await testDatabase(kind);
    onTestFinished(() => fresh.drop());
    const result = await importRoster(fresh.prisma, EXAMPLE);
    expect(result).toMatchObject({ ok: true, units: 5, created: 8, updated: 0 });
    expect(result.report.split("\n").at(-1)).toContain("例如：/setup 陈建国 青石镇"); // the principal leader, in the office
    const sun = await fresh.prisma.person.findFirstOrThrow({ where: { name: "孙强" }, include: { unit: true, supervisor: true } });
    expect(sun).toMatchObject({ unit: { name: "综治办" }, supervisor: { name: "赵敏" } });
  });
});
