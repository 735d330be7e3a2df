// "Did you mean …?": the closest of some names to what someone typed, by edit distance. Shared by the
// router (a mistyped command) and the roster import (a mistyped unit), in Chinese and Latin letters alike.

/**
 * Edit distance counting a swap of two neighbours as one edit ("hlep" → "help"), as people mistype;
 * by code point, so one Chinese character is one letter.
 */
export function editDistance(a: string, b: string): number {
  const s = [...a];
  const u = [...b];
  // d[i][j]: distance between the first i letters of s and the first j of u.
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: u.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= u.length; j++) {
      const cost = s[i - 1] === u[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === u[j - 2] && s[i - 2] === u[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[s.length]![u.length]!;
}

/** How many edits still read as a slip rather than another word: one, or two in a long name. */
export function slipAllowance(a: string, b: string): number {
  return Math.max([...a].length, [...b].length) >= 8 ? 2 : 1;
}

/**
 * The candidate closest to `typed` within a slip (case-insensitive), or undefined when none is that close.
 * One-letter candidates are never suggested: every one-letter typo would be "near" them. Ties go to the
 * earliest candidate, so callers list the likelier ones first.
 */
export function nearestName(typed: string, candidates: Iterable<string>): string | undefined {
  const word = typed.trim().toLowerCase();
  if ([...word].length < 2) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    if ([...name].length < 2) continue;
    const distance = editDistance(word, name.toLowerCase());
    if (distance === 0 || distance > slipAllowance(word, name)) continue;
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best?.name;
}
