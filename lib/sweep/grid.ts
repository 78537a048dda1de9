/** A value of one setting of a sweep: a scalar that survives JSON and CSV unchanged. */
export type SettingValue = string | number | boolean | null;

/** One point of a sweep grid, e.g. `{ profile: "severe", M: 16 }`. */
export type Setting = Record<string, SettingValue>;

/** Values of each setting; a sweep runs the cartesian product, e.g. `{ profile: ["balanced", "severe"], M: [4, 16] }`. */
export type Grid = Record<string, readonly SettingValue[]>;

/**
 * Expands a grid into its settings, the cartesian product of the value lists. The first key varies slowest,
 * as in nested loops written in key order. A list of grids gives the concatenation of their products, and a
 * key missing from some of the grids is null in their settings, so that every setting has the same keys.
 *
 * @throws when a value list is empty, a value is not a finite number, string, boolean or null, or two settings coincide
 */
export function expandGrid(grid: Grid | readonly Grid[]): Setting[] {
  const grids: readonly Grid[] = Array.isArray(grid) ? grid : [grid as Grid];
  if (grids.length === 0) throw new Error("The sweep grid list is empty; give at least one grid such as { M: [4, 16] }.");
  grids.forEach(checkGrid);

  const keys = gridKeys(grids);
  const settings: Setting[] = [];
  for (const single of grids) {
    for (const partial of product(single)) {
      const setting: Setting = {};
      for (const key of keys) setting[key] = Object.hasOwn(partial, key) ? partial[key] : null;
      settings.push(setting);
    }
  }

  const seen = new Map<string, number>();
  settings.forEach((setting, index) => {
    const text = JSON.stringify(setting);
    const first = seen.get(text);
    if (first !== undefined) {
      throw new Error(`Sweep settings ${first} and ${index} are both ${text}; remove the duplicate value from the grid.`);
    }
    seen.set(text, index);
  });
  return settings;
}

/** Returns the setting keys of the grids: every key once, in order of first appearance. */
export function gridKeys(grids: Grid | readonly Grid[]): string[] {
  const list: readonly Grid[] = Array.isArray(grids) ? grids : [grids as Grid];
  const keys = new Set<string>();
  for (const grid of list) for (const key of Object.keys(grid)) keys.add(key);
  return [...keys];
}

/** Formats a setting for messages and file names, e.g. "profile=severe M=16". */
export function describeSetting(setting: Setting): string {
  const parts = Object.entries(setting).map(([key, value]) => `${key}=${value}`);
  return parts.length > 0 ? parts.join(" ") : "(no settings)";
}

function checkGrid(grid: Grid, index: number): void {
  if (grid === null || typeof grid !== "object" || Array.isArray(grid)) {
    throw new Error(`Sweep grid ${index} is ${JSON.stringify(grid)}; give an object of value lists such as { M: [4, 16] }.`);
  }
  for (const [key, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new Error(`Grid key "${key}" has ${JSON.stringify(values)}; give a non-empty list of values such as [4, 16].`);
    }
    for (const value of values) {
      const scalar = value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
      if (!scalar) {
        throw new Error(`Grid key "${key}" has the value ${String(value)}; settings must be finite numbers, strings, booleans or null.`);
      }
    }
  }
}

/** Cartesian product of one grid, first key slowest. */
function product(grid: Grid): Setting[] {
  let settings: Setting[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    const next: Setting[] = [];
    for (const setting of settings) for (const value of values) next.push({ ...setting, [key]: value });
    settings = next;
  }
  return settings;
}
