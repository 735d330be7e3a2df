// Reading a circular from one line: keywords with spaces anywhere, and in the title also after a comma.
import { describe, expect, it } from "vitest";
import { parseCompose } from "../../../src/flows/circulars/compose.ts";

describe("parseCompose", () => {
  it("reads keywords that stand alone, or carry their value after a colon", () => {
    expect(parseCompose("关于开展安全生产大检查的通知 内容 请于周五前完成自查 发给 党政办、综治办 截止 周五17:00")).toEqual({
      title: "关于开展安全生产大检查的通知", body: "请于周五前完成自查", audience: ["党政办", "综治办"], deadline: "周五17:00",
    });
    expect(parseCompose("党委会 时间：明天上午9点 地点：三楼会议室 发给 领导")).toEqual({
      title: "党委会", startsAt: "明天上午9点", place: "三楼会议室", audience: ["领导"],
    });
    expect(parseCompose("年终总结 给 党政办 截止 周五")).toEqual({ title: "年终总结", audience: ["党政办"], deadline: "周五" });
    expect(parseCompose("请注意时间安排")).toEqual({ title: "请注意时间安排" }); // 时间 inside a word is text
  });

  it("reads clauses of the title after a comma: 发给党政办，截止周五", () => {
    expect(parseCompose("关于报送材料的通知，发给党政办，截止周五")).toEqual({ title: "关于报送材料的通知", audience: ["党政办"], deadline: "周五" });
    expect(parseCompose("冬季防火检查；发送给 党政办、李明；截止时间 下周三下班前")).toEqual({
      title: "冬季防火检查", audience: ["党政办", "李明"], deadline: "下周三下班前",
    });
  });

  it("leaves commas in the body alone: 截止目前 there is text, not a deadline", () => {
    expect(parseCompose("工作进展 内容 各村，截止目前已完成八成 发给 党政办 截止 周五")).toEqual({
      title: "工作进展", body: "各村，截止目前已完成八成", audience: ["党政办"], deadline: "周五",
    });
  });
});
