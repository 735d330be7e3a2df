// Invite codes are read aloud and typed on phones: no 0/O, 1/I/L, and case does not matter.
import { randomInt } from "node:crypto";

const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LENGTH = 8;

/** A fresh random code, e.g. "K7QM-3XPA" without the dash. */
export function newInviteCode(): string {
  let code = "";
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** What the user typed, the way codes are stored: "k7qm-3xpa " → "K7QM3XPA". */
export function normalizeInviteCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, "");
}

/** "K7QM3XPA" → "K7QM-3XPA", easier to read out. */
export function displayInviteCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
