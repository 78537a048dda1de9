/** Distinct group ids of `groups`, ascending. Machine m of splitByGroup contains group distinctGroups(groups)[m]. */
export function distinctGroups(groups: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < groups.length; i++) {
    if (!Number.isInteger(groups[i])) {
      throw new Error(`Group id at row ${i} must be an integer but got ${groups[i]}.`);
    }
    seen.add(groups[i]);
  }
  return Array.from(seen).sort((a, b) => a - b);
}
