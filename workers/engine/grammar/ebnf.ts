/**
 * A small EBNF syntax tree for the grammars we hand to xgrammar. Building a
 * tree rather than text lets us check a grammar before xgrammar sees it:
 * xgrammar answers a grammar it cannot handle with an opaque abort from its
 * WebAssembly, and an empty one would leave no token to allow.
 */

export type Expr =
  | { kind: 'terminal'; ebnf: string }
  | { kind: 'rule'; name: string }
  | { kind: 'sequence'; items: Expr[] }
  | { kind: 'choice'; options: Expr[] }
  | { kind: 'repeat'; item: Expr; min: number; max: number | null };

/** A string literal; non-ASCII and control characters are written as escapes so the grammar text stays ASCII. */
export function literal(text: string): Expr {
  let ebnf = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') ebnf += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) ebnf += char;
    else if (code <= 0xffff) ebnf += `\\u${code.toString(16).padStart(4, '0')}`;
    else ebnf += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return { kind: 'terminal', ebnf: `${ebnf}"` };
}

/** A character class, given as its EBNF text (e.g. `[0-9]`). */
export function charClass(ebnf: string): Expr {
  return { kind: 'terminal', ebnf };
}

export function ref(name: string): Expr {
  return { kind: 'rule', name };
}

export function sequence(...items: Expr[]): Expr {
  return items.length === 1 ? items[0] : { kind: 'sequence', items };
}

export function choice(...options: Expr[]): Expr {
  return choiceOf(options);
}

/** `choice` over a list of any length: an enum of many values would overflow the stack as spread arguments. */
export function choiceOf(options: Expr[]): Expr {
  return options.length === 1 ? options[0] : { kind: 'choice', options };
}

export function repeat(item: Expr, min: number, max: number | null): Expr {
  return { kind: 'repeat', item, min, max };
}

export function optional(item: Expr): Expr {
  return repeat(item, 0, 1);
}

export const EMPTY: Expr = { kind: 'sequence', items: [] };

function print(expr: Expr): string {
  switch (expr.kind) {
    case 'terminal':
      return expr.ebnf;
    case 'rule':
      return expr.name;
    case 'sequence':
      return expr.items.length === 0 ? '""' : expr.items.map(printOperand).join(' ');
    case 'choice':
      return expr.options.map(print).join(' | ');
    case 'repeat': {
      const item = printOperand(expr.item);
      if (expr.min === 0 && expr.max === null) return `${item}*`;
      if (expr.min === 1 && expr.max === null) return `${item}+`;
      if (expr.min === 0 && expr.max === 1) return `${item}?`;
      if (expr.max === null) return `${item}{${expr.min},}`;
      return expr.min === expr.max ? `${item}{${expr.min}}` : `${item}{${expr.min},${expr.max}}`;
    }
  }
}

/** Parenthesises what would otherwise bind wrongly inside a sequence or under a repetition. */
function printOperand(expr: Expr): string {
  const needsParentheses = (expr.kind === 'sequence' && expr.items.length > 1) || expr.kind === 'choice' || expr.kind === 'repeat';
  return needsParentheses ? `(${print(expr)})` : print(expr);
}

/** Rules by name; `root` is where matching starts. */
export class Grammar {
  private readonly rules = new Map<string, Expr>();

  has(name: string): boolean {
    return this.rules.has(name);
  }

  define(name: string, expr: Expr): string {
    this.rules.set(name, expr);
    return name;
  }

  /**
   * Whether each rule derives at least one finite string. A rule that cannot
   * (say, a schema whose every value must contain itself) would leave the
   * matcher with no token to allow.
   */
  unproductiveRules(): string[] {
    const productive = new Set<string>();
    const derives = (expr: Expr): boolean => {
      switch (expr.kind) {
        case 'terminal':
          return true;
        case 'rule':
          return productive.has(expr.name);
        case 'sequence':
          return expr.items.every(derives);
        case 'choice':
          return expr.options.some(derives);
        case 'repeat':
          return expr.min === 0 || derives(expr.item);
      }
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (const [name, expr] of this.rules) {
        if (!productive.has(name) && derives(expr)) {
          productive.add(name);
          changed = true;
        }
      }
    }
    return [...this.rules.keys()].filter((name) => !productive.has(name));
  }

  /** Rules that are referenced but never defined: a bug in whoever built the grammar. */
  undefinedRules(): string[] {
    const missing = new Set<string>();
    const visit = (expr: Expr): void => {
      if (expr.kind === 'rule' && !this.rules.has(expr.name)) missing.add(expr.name);
      if (expr.kind === 'sequence') expr.items.forEach(visit);
      if (expr.kind === 'choice') expr.options.forEach(visit);
      if (expr.kind === 'repeat') visit(expr.item);
    };
    for (const expr of this.rules.values()) visit(expr);
    return [...missing];
  }

  toEbnf(): string {
    return [...this.rules].map(([name, expr]) => `${name} ::= ${print(expr)}`).join('\n');
  }
}
