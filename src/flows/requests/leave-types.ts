// Leave types (事假, 病假, 年假, 调休, …) and the words people use for them, in Chinese and English.
const LEAVE_TYPES: Record<string, string[]> = {
  personal: ["事假", "personal"],
  sick: ["病假", "sick"],
  annual: ["年假", "年休假", "annual", "vacation"],
  compensatory: ["调休", "补休", "in-lieu", "lieu", "compensatory", "toil"],
  marriage: ["婚假", "marriage"],
  maternity: ["产假", "陪产假", "maternity", "paternity"],
  bereavement: ["丧假", "bereavement"],
  other: ["其他", "other"],
};
const typeOfWord = new Map(Object.entries(LEAVE_TYPES).flatMap(([type, words]) => words.map((w) => [w.toLowerCase(), type])));

/** The leave type a word names ("年假", "annual" → "annual"), if any. */
export function leaveTypeOf(word: string): string | undefined {
  return typeOfWord.get(word.toLowerCase());
}
