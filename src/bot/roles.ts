// Who may do what. Roles are few and fixed; each capability names the roles that have it.
export const roles = ["admin", "leader", "secretary", "member"] as const;
export type Role = (typeof roles)[number];

const aliases: Record<string, Role> = {
  admin: "admin", 管理员: "admin",
  leader: "leader", 领导: "leader", 负责人: "leader",
  secretary: "secretary", 秘书: "secretary", 文书: "secretary", 办公室: "secretary",
  member: "member", 成员: "member", 干部: "member", 职工: "member", 员工: "member",
};

/** Reads a role written in English or Chinese. */
export function parseRole(word: string): Role | undefined {
  return aliases[word.trim().toLowerCase()];
}

/** Who may run the office's paperwork: invite people, bind groups, import rosters. */
export const officeStaff: readonly Role[] = ["admin", "secretary"];
