/**
 * Covariates defined as mathjs expressions over named variables, e.g. `log(1 + vm)`.
 *
 * Expressions are parsed and checked once, then the compiled form is evaluated row by row with one reused scope.
 * The mathjs instance runs with `predictable: true`, so `log(-1)` or `sqrt(-1)` give NaN instead of a complex
 * number, and such a row is then dropped as non-finite by the caller.
 */
import { all, create, type EvalFunction, type MathJsInstance, type MathNode } from 'mathjs';

/** One covariate: a column name in the dataset and the expression that computes it. */
export interface FeatureSpec {
  name: string;
  expression: string;
}

/**
 * Default MMASH covariates for heart rate (beats/min).
 * - log(1 + vm), log(1 + steps): activity counts are zero most of the time and reach hundreds in bursts. Heart
 *   rate rises with activity with diminishing returns, so log(1 + count) compresses the tail and keeps 0 at 0.
 * - standing, sitting, lying: posture indicators. With `incl_off` (inclinometer off) the four sum to 1 on every
 *   row of the data set, so incl_off is the reference category left out to keep the design of full rank.
 * - sin(2π hour / 24), cos(2π hour / 24): the circadian rhythm of heart rate, because a 24 h sinusoid of any
 *   phase equals a·sin + b·cos.
 */
export const DEFAULT_FEATURES: readonly FeatureSpec[] = [
  { name: 'log1p_vm', expression: 'log(1 + vm)' },
  { name: 'log1p_steps', expression: 'log(1 + steps)' },
  { name: 'standing', expression: 'standing' },
  { name: 'sitting', expression: 'sitting' },
  { name: 'lying', expression: 'lying' },
  { name: 'sin_hour', expression: 'sin(2 * pi * hour / 24)' },
  { name: 'cos_hour', expression: 'cos(2 * pi * hour / 24)' },
];

/**
 * Optional per-person covariates from user_info.csv: age (years) and body-mass index (kg/m²).
 * NOTE: user_18 has no age (the file records 0), so a table with `age` drops every row of user_18.
 */
export const PERSON_FEATURES: readonly FeatureSpec[] = [
  { name: 'age', expression: 'age' },
  { name: 'bmi', expression: 'bmi' },
];

let mathInstance: MathJsInstance | undefined;

function mathjs(): MathJsInstance {
  mathInstance ??= create(all, { predictable: true });
  return mathInstance;
}

/** Features checked and compiled against a fixed set of variable names. */
export interface CompiledFeatures {
  specs: FeatureSpec[];
  /** Variables referenced by at least one expression, sorted. */
  variables: string[];
  /** Compiled expressions, one per spec. */
  code: EvalFunction[];
}

/**
 * Parses and checks feature expressions.
 *
 * Throws when a name is empty or repeated, an expression does not parse, assigns a value, calls an unknown
 * function or refers to a variable that is neither in `variables` nor a numeric mathjs constant (pi, e, tau, …).
 * `reserved` maps a name that must not be used, such as the response, to the reason given in the error.
 */
export function compileFeatures(
  specs: readonly FeatureSpec[],
  variables: readonly string[],
  reserved: Readonly<Record<string, string>> = {},
): CompiledFeatures {
  if (specs.length === 0) throw new Error('The feature list is empty. Give at least one {name, expression}.');

  const math = mathjs();
  const available = new Set(variables);
  const names = new Set<string>();
  const referenced = new Set<string>();
  const code: EvalFunction[] = [];

  for (const spec of specs) {
    if (typeof spec.name !== 'string' || spec.name.trim() === '') {
      throw new Error(`Feature ${JSON.stringify(spec)} has no name. Give each feature a non-empty name.`);
    }
    if (names.has(spec.name)) throw new Error(`Feature name "${spec.name}" is used twice. Give each feature a distinct name.`);
    names.add(spec.name);

    if (typeof spec.expression !== 'string' || spec.expression.trim() === '') {
      throw new Error(`Feature "${spec.name}" has no expression. Give a mathjs expression such as "log(1 + vm)".`);
    }

    let node: MathNode;
    try {
      node = math.parse(spec.expression);
    } catch (error) {
      throw new Error(`Feature "${spec.name}": the expression "${spec.expression}" does not parse (${(error as Error).message}).`);
    }

    for (const symbol of symbolsOf(node, spec, math)) {
      if (available.has(symbol)) {
        referenced.add(symbol);
        continue;
      }

      if (Object.hasOwn(reserved, symbol)) {
        throw new Error(`Feature "${spec.name}": the expression "${spec.expression}" uses "${symbol}", which cannot be a covariate: ${reserved[symbol]}.`);
      }

      const constant: unknown = (math as unknown as Record<string, unknown>)[symbol];
      if (typeof constant !== 'number' && typeof constant !== 'boolean') {
        throw new Error(`Feature "${spec.name}": the expression "${spec.expression}" refers to the unknown variable "${symbol}". Available variables: ${variables.join(', ')}.`);
      }
    }

    code.push(node.compile());
  }

  return { specs: specs.map((spec) => ({ name: spec.name, expression: spec.expression })), variables: [...referenced].sort(), code };
}

/**
 * Returns the names of the variables (symbols that are not called as functions) in a parsed expression.
 * Throws on assignments, which would write into the shared scope, and on calls of unknown functions.
 */
function symbolsOf(root: MathNode, spec: FeatureSpec, math: MathJsInstance): string[] {
  const symbols: string[] = [];

  root.traverse((node, path, parent) => {
    if (node.type === 'AssignmentNode' || node.type === 'FunctionAssignmentNode') {
      throw new Error(`Feature "${spec.name}": the expression "${spec.expression}" contains an assignment. Write a single expression such as "log(1 + vm)".`);
    }
    if (node.type !== 'SymbolNode') return;

    const name = (node as unknown as { name: string }).name;
    const isCallee = parent?.type === 'FunctionNode' && path === 'fn';
    if (!isCallee) {
      symbols.push(name);
      return;
    }

    if (typeof (math as unknown as Record<string, unknown>)[name] !== 'function') {
      throw new Error(`Feature "${spec.name}": the expression "${spec.expression}" calls the unknown function "${name}". Use a mathjs function such as log, exp, sqrt, sin.`);
    }
  });

  return symbols;
}

/**
 * Evaluates compiled features on n rows.
 *
 * `columns` contains a column of length n for every variable in `compiled.variables` that is not in `constants`.
 * `constants` contains per-table values such as a person's age. Returns x, n × d row-major with d = specs.length.
 * A boolean result counts as 0 or 1. Any other non-number result (a matrix, a string, a unit) throws an error
 * naming the feature and `describeRow(i)`, the location of the row. Non-finite numbers are returned as they are.
 */
export function evaluateFeatures(
  compiled: CompiledFeatures,
  n: number,
  columns: Readonly<Record<string, Float64Array>>,
  constants: Readonly<Record<string, number>> = {},
  describeRow: (row: number) => string = (row) => `row ${row}`,
): Float64Array {
  const d = compiled.code.length;
  const x = new Float64Array(n * d);
  const scope = new Map<string, number>();

  const perRow: { name: string; column: Float64Array }[] = [];
  for (const name of compiled.variables) {
    if (Object.hasOwn(constants, name)) {
      scope.set(name, constants[name]);
      continue;
    }

    const column = columns[name];
    if (column === undefined || column.length < n) {
      throw new Error(`Variable "${name}" needs a column of length ${n}, got ${column === undefined ? 'none' : `length ${column.length}`}.`);
    }
    perRow.push({ name, column });
  }

  for (let i = 0; i < n; i++) {
    for (const { name, column } of perRow) scope.set(name, column[i]);

    for (let j = 0; j < d; j++) {
      const value: unknown = compiled.code[j].evaluate(scope);

      if (typeof value === 'number') {
        x[i * d + j] = value;
      } else if (typeof value === 'boolean') {
        x[i * d + j] = value ? 1 : 0;
      } else {
        const { name, expression } = compiled.specs[j];
        throw new Error(`Feature "${name}": the expression "${expression}" gives a value of type ${mathjs().typeOf(value)} at ${describeRow(i)}, expected a real number. Rewrite it to return one number per row.`);
      }
    }
  }

  return x;
}
