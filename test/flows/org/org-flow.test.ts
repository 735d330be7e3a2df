// The roster, as people use it: /setup, /invite, /join, /whoami, /people, /units, /lang, permissions, audit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, type Office } from "../../support/office.ts";

describe.each(["postgres", "pglite"] as const)("org flow on %s", (kind) => {
  let office: Office;
  beforeAll(async () => {
    office = await openOffice(kind);
  });
  afterAll(async () => office?.close());

  const say = (who: string, text: string, locale?: string) => office.chat.say(who, text, locale);
  const codeIn = (text: string) => /([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(text)?.[1] ?? "";

  it("tells the first newcomer of an office with no admin how to set it up, or how to join", async () => {
    expect(await say("stranger", "/whoami")).toEqual([expect.stringMatching(/^本单位还没有管理员。如果由你来管理，请发送：\/setup 你的姓名 单位名称/)]);
    expect(await say("stranger", "hello", "en")).toEqual([expect.stringMatching(/^Your office has no admin yet\..*join CODE$/)]);
  });

  it("makes the first person to /setup the admin, and nobody after", async () => {
    const [reply] = await say("wang", "/setup 王主任 城关镇");
    expect(reply).toContain("王主任，你是第一位管理员");
    expect(await say("intruder", "/setup 我")).toEqual([expect.stringContaining("已完成初始化")]);
    // Once someone has set up, an unknown user is told how to join, politely.
    expect(await say("stranger", "/whoami")).toEqual(["你还不在本单位名册中。请向办公室索取邀请码，然后发送：加入 邀请码"]);
    expect(await say("stranger", "hello", "en")).toEqual(["You are not on your office's roster yet. Ask the office for an invite code, then send: join CODE"]);
    const admin = await office.runtime.app.prisma.person.findFirstOrThrow({ include: { unit: true } });
    expect(admin).toMatchObject({ name: "王主任", role: "admin" });
    expect(admin.unit?.name).toBe("城关镇");
  });

  it("invites with a one-time code and lets the invitee join; the inviter hears of it", async () => {
    const [reply] = await say("wang", "/invite 李明 member 党政办 王主任");
    expect(reply).toContain("已为 李明（成员，党政办）生成邀请码");
    expect(reply).toContain("已新建单位：党政办");
    const code = codeIn(reply!);
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);

    const joined = await say("li", `加入 ${code.toLowerCase()}`);
    expect(joined[0]).toContain("欢迎，李明！你已加入名册（成员，党政办）");
    expect(office.chat.lastTo("wang")).toBe("李明 已通过你的邀请码加入。");

    expect(await say("li2", `/join ${code}`)).toEqual(["这个邀请码已经用过了。请向办公室索取新的邀请码。"]);
    expect(await say("li2", "/join ZZZZ-ZZZZ")).toEqual(["邀请码“ZZZZ-ZZZZ”不正确，请核对后重试。"]);
  });

  it("needs no code for someone who has joined, and names the units there are when one is not", async () => {
    expect(await say("wang", "邀请 李明 成员 党政办 王主任")).toEqual(["李明（#2）已经加入 Relay，不需要邀请码。要再关联一个聊天账号，请本人发送“关联账号”。"]);
    const [reply] = await say("wang", "单位 添加 测试办 党正办");
    expect(reply).toMatch(/^没有名为“党正办”的单位。现有单位：党政办、/);
  });

  it("binds an account to someone already on the roster instead of adding them twice", async () => {
    const prisma = office.runtime.app.prisma;
    const imported = await prisma.person.create({ data: { name: "周会计", role: "member" } }); // as a CSV import leaves them
    const [reply] = await say("wang", "/invite 周会计");
    expect(reply).toContain(`周会计（#${imported.id}）已在名册中`);
    await say("zhou", `/join ${codeIn(reply!)}`);
    expect(await prisma.person.count({ where: { name: "周会计" } })).toBe(1);
    expect(await prisma.identity.findFirstOrThrow({ where: { externalId: "zhou" } })).toMatchObject({ personId: imported.id });
    await prisma.person.update({ where: { id: imported.id }, data: { active: false } }); // keep the counts below simple
  });

  it("answers /whoami and its Chinese alias with the roster entry", async () => {
    const [me] = await say("li", "我是谁");
    expect(me).toContain("李明（#2）");
    expect(me).toContain("角色：成员");
    expect(me).toContain("单位：党政办");
    expect(me).toContain("上级：王主任");
    expect(me).toContain("console:li");
  });

  it("says who may invite when a member tries", async () => {
    expect(await say("li", "/invite 张三")).toEqual(["只有管理员或秘书可以这样做。"]);
  });

  it("lists people by unit, including sub-units", async () => {
    await say("wang", "/invite 赵秘书 秘书 党政办");
    const all = (await say("wang", "/people"))[0]!;
    expect(all).toContain("城关镇（1人）");
    expect(all).toContain("党政办（1人）");
    expect(all).toContain("· 李明 #2 — 成员，上级 王主任");
    const town = (await say("wang", "人员 城关镇"))[0]!;
    expect(town).toContain("李明"); // 党政办 sits under 城关镇
    expect((await say("wang", "/people 不存在"))[0]).toContain("没有名为“不存在”的单位");
  });

  it("shows the unit tree and lets only an admin add units", async () => {
    expect((await say("wang", "单位 添加 综治办"))[0]).toBe("已新建单位：综治办");
    expect((await say("li", "/units add 某办"))[0]).toBe("只有管理员可以这样做。");
    expect((await say("li", "/units"))[0]).toBe("· 城关镇（1人）\n  · 党政办（1人）\n  · 综治办（0人）");
  });

  it("explains an expired code", async () => {
    const code = codeIn((await say("wang", "/invite 过期 member"))[0]!);
    await office.runtime.app.prisma.invite.updateMany({ where: { name: "过期" }, data: { expiresAt: new Date(office.runtime.app.clock.now().getTime() - 1000) } });
    expect(await say("late", `/join ${code}`)).toEqual(["这个邀请码已过期。请向办公室索取新的邀请码。"]);
  });

  it("switches a person's language and answers in it", async () => {
    expect(await say("li", "/lang en")).toEqual(["Language set to English."]);
    expect((await say("li", "/whoami"))[0]).toContain("Role: a member");
    expect((await say("li", "帮助"))[0]).toContain("/remind (提醒)");
    expect(await say("li", "语言 中文")).toEqual(["已切换为中文。"]);
  });

  it("lists in /help only what the role may do", async () => {
    const member = (await say("li", "/help"))[0]!;
    expect(member).toContain("你可以使用这些命令（成员）");
    expect(member).toContain("提醒 (/remind)");
    expect(member).not.toContain("/invite");
    expect((await say("wang", "帮助"))[0]).toContain("邀请 (/invite)");
    const guest = (await say("nobody", "/help"))[0]!;
    expect(guest).toContain("你还不在本单位名册中");
    expect(guest).toContain("/join");
    expect(guest).not.toContain("提醒 (/remind)");
    expect((await say("li", "帮助 提醒"))[0]).toContain("提醒 10分钟后 喝水");
    // Not what only authors and staff may use, nor joining (done) or setting up (an admin exists).
    for (const absent of ["/status", "/export", "/notice", "/approvers", "/join", "/start", "/setup"]) expect(member).not.toContain(`${absent})`);
    expect(member).toContain("待办 (/pending)");
    expect(guest).not.toContain("/setup");
    expect(guest).not.toContain("/start");
  });

  it("explains with /help CMD a command this person may not use, and says who may", async () => {
    const notice = (await say("li", "帮助 通知"))[0]!;
    expect(notice).toContain("通知 (/notice) — 发通知，收集回执");
    expect(notice.split("\n").at(-1)).toBe("只有管理员或领导或秘书可以使用这个命令。");
    expect((await say("li", "/help status"))[0]!.split("\n").at(-1)).toBe("只有管理员或领导或秘书可以使用这个命令。");
    expect((await say("li", "/help approvers", "en"))[0]!.split("\n").at(-1)).toBe("只有管理员可以使用这个命令。"); // li chose Chinese
    expect((await say("nobody", "/help remind"))[0]!.split("\n").at(-1)).toBe("加入名册后才能使用：请向办公室索取邀请码，然后发送：加入 邀请码");
    expect((await say("li", "/help 提箱"))[0]).toBe("没有这个命令：提箱。你是不是想用 提醒 (/remind)？");
    expect((await say("wang", "/help invite"))[0]!.split("\n")).toHaveLength(2); // may use it: no refusal line
  });

  it("gives usage help for a bad command and a hint for unknown ones", async () => {
    expect((await say("wang", "/invite"))[0]).toContain("用法：\n邀请 姓名");
    expect((await say("wang", "/frobnicate"))[0]).toBe("没有“frobnicate”这个命令。发送“帮助”或 /help 查看可用命令。");
    expect((await say("wang", "今天天气不错"))[0]).toContain("没听懂");
  });

  it("accepts as supervisor someone invited who has not joined yet, and links both when they join", async () => {
    const prisma = office.runtime.app.prisma;
    const zhouCode = codeIn((await say("wang", "邀请 周秘书 秘书 党政办"))[0]!);
    const [reply] = await say("wang", "邀请 李四 成员 党政办 周秘书");
    expect(reply).toContain("上级：周秘书（已邀请、尚未加入；已先列入名册，对方用自己的邀请码加入后即关联）");
    const liCode = codeIn(reply!);
    // 李四 joins first: his supervisor is already a roster row, the one 周秘书's code now binds to.
    await say("lisi", `/join ${liCode}`);
    expect((await say("zhoum", `/join ${zhouCode}`))[0]).toContain("欢迎，周秘书！你已加入名册（秘书，党政办）");
    expect(await prisma.person.count({ where: { name: "周秘书" } })).toBe(1);
    const zhou = await prisma.person.findFirstOrThrow({ where: { name: "周秘书" }, include: { identities: true } });
    expect(zhou.identities.map((i) => i.externalId)).toEqual(["zhoum"]);
    expect(await prisma.person.findFirstOrThrow({ where: { name: "李四" } })).toMatchObject({ supervisorId: zhou.id });
    expect(await prisma.auditEvent.count({ where: { action: "person.fromInvite", entityId: String(zhou.id) } })).toBe(1);
  });

  it("accepts as supervisor someone on the roster without an account, and refuses a name nobody has", async () => {
    const prisma = office.runtime.app.prisma;
    const imported = await prisma.person.create({ data: { name: "吴站长", role: "leader" } }); // as an import leaves them
    expect((await say("wang", "邀请 小吴 成员 党政办 吴站长"))[0]).toContain("上级：吴站长\n");
    expect(await prisma.invite.findFirstOrThrow({ where: { name: "小吴" } })).toMatchObject({ supervisorId: imported.id });
    expect(await say("wang", "邀请 小钱 成员 党政办 不存在")).toEqual(["名册中没有“不存在”。"]);
    await say("wang", "邀请 孙会计 成员");
    await say("wang", "邀请 孙会计 成员");
    expect(await say("wang", "邀请 小孙 成员 党政办 孙会计")).toEqual(["有多份给“孙会计”的邀请码尚未使用，无法确定是哪一位。请等对方加入后再指定上级。"]);
  });

  it("writes an audit event for every change", async () => {
    const events = await office.runtime.app.prisma.auditEvent.findMany({ orderBy: { id: "asc" } });
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(["roster.setup", "unit.create", "invite.create", "person.join", "person.locale"]),
    );
    const join = events.find((e) => e.action === "person.join")!;
    expect(join).toMatchObject({ entity: "Person", entityId: "2", actorId: 2 });
  });
});
