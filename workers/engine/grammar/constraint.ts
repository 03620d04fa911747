/**
 * One generation's grammar state: masks logits before each token and advances
 * with each sampled token.
 *
 * Budget-aware closing: with a token budget, the constraint watches how far the
 * output is from a complete document. Near the end of the budget it plans a
 * short completion (closing quotes and brackets first, the shortest filler
 * where the grammar still demands something) by walking the matcher forward
 * and rolling it back. Once the plan only just fits in what is left, it allows
 * only tokens that write the plan, so the document closes and a stop token
 * ends generation before `max_tokens` cuts it off.
 */
import type { GrammarMatcher } from '@mlc-ai/web-xgrammar';
import type { GrammarVocabulary } from './vocabulary.ts';

export interface TokenConstraint {
  /** Sets the logits of tokens the grammar forbids now to -Infinity, in place. Await it before sampling each token. */
  mask(logits: Float32Array): Promise<void>;
  /** Advances the grammar by the sampled token. Throws an Error if the token was not allowed. */
  accept(token: number): void;
  /** True once the output is a complete document: only a stop token may follow. */
  isTerminated(): boolean;
  dispose(): void;
}

/** How close to the end of the budget (in tokens) the constraint starts planning a completion. */
const PLANNING_WINDOW = 64;
/**
 * How much a plan may grow with one freely sampled token (a token such as
 * `[{"` opens three things at once). Steering starts while the plan plus this
 * margin still fits, so one more free token can never push it out of reach.
 */
const GROWTH_MARGIN = 8;
/** A completion longer than this is not looked for; the grammar alone decides then. */
const MAX_PLAN_TOKENS = 64;

function isAllowed(bitmask: Int32Array, id: number): boolean {
  return ((bitmask[id >>> 5] >>> (id & 31)) & 1) === 1;
}

function applyBitmask(logits: Float32Array, bitmask: Int32Array): void {
  for (let word = 0; word < bitmask.length; word++) {
    const bits = bitmask[word];
    if (bits === -1) continue;
    const base = word * 32;
    const end = Math.min(base + 32, logits.length);
    for (let id = base; id < end; id++) if (((bits >>> (id - base)) & 1) === 0) logits[id] = -Infinity;
  }
  logits.fill(-Infinity, Math.min(logits.length, bitmask.length * 32));
}

function keepOnly(logits: Float32Array, ids: readonly number[]): void {
  const kept = ids.map((id) => logits[id]);
  logits.fill(-Infinity);
  ids.forEach((id, index) => (logits[id] = kept[index]));
}

/**
 * Whether the output ends inside a JSON string, or just after a backslash in
 * one: inside a string `}` and `]` are text, so what closes the document
 * differs. A spelling's quotes and backslashes are the bytes themselves.
 */
class StringState {
  constructor(
    public inString = false,
    public escaped = false,
  ) {}

  copy(): StringState {
    return new StringState(this.inString, this.escaped);
  }

  advance(spelling: string): void {
    for (const char of spelling) {
      if (this.escaped) this.escaped = false;
      else if (this.inString && char === '\\') this.escaped = true;
      else if (char === '"') this.inString = !this.inString;
    }
  }
}

export class GrammarConstraint implements TokenConstraint {
  private accepted = 0;
  private readonly strings = new StringState();
  /** The spelling still to write to complete the document, once steering has begun. */
  private plan: string | null = null;
  private disposed = false;

  /**
   * @param budget How many tokens the decode loop may still sample, the stop
   * token included; null to let the grammar alone decide.
   */
  constructor(
    private readonly matcher: GrammarMatcher,
    private readonly vocabulary: GrammarVocabulary,
    private readonly budget: number | null,
  ) {}

  async mask(logits: Float32Array): Promise<void> {
    const bitmask = await this.matcher.getNextTokenBitmask();
    if (this.plan === null && this.budget !== null && this.budget - this.accepted <= PLANNING_WINDOW) {
      const plan = await this.planCompletion(bitmask);
      if (plan !== null && plan.length + GROWTH_MARGIN + 1 >= this.budget - this.accepted) this.plan = plan;
    }
    const planned = this.plan === null ? [] : this.planTokens(this.plan, bitmask);
    if (planned.length > 0) keepOnly(logits, planned);
    else {
      this.plan = null;
      applyBitmask(logits, bitmask);
    }
  }

  accept(token: number): void {
    if (!this.matcher.acceptToken(token)) throw new Error(`Token ${token} does not fit the grammar at this point.`);
    this.accepted += 1;
    this.strings.advance(this.vocabulary.spellings[token]);
    if (this.plan !== null) {
      const spelling = this.vocabulary.spellings[token];
      this.plan = spelling && this.plan.startsWith(spelling) ? this.plan.slice(spelling.length) : null;
    }
  }

  isTerminated(): boolean {
    for (const stop of this.vocabulary.stopTokenIds) {
      if (this.matcher.acceptToken(stop)) {
        this.matcher.rollBack(1);
        return true;
      }
    }
    return false;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.matcher.dispose();
  }

  /** The tokens that write the start of `plan` (or, with the plan written, the stop tokens) and that the grammar allows. */
  private planTokens(plan: string, bitmask: Int32Array): number[] {
    if (plan === '') return this.vocabulary.stopTokenIds.filter((id) => isAllowed(bitmask, id));
    const tokens: number[] = [];
    for (let length = 1; length <= Math.min(plan.length, this.vocabulary.longestSpelling); length++) {
      const id = this.vocabulary.idsBySpelling.get(plan.slice(0, length));
      if (id !== undefined && isAllowed(bitmask, id)) tokens.push(id);
    }
    return tokens;
  }

  /** Walks the matcher to a state where a stop token may follow, then rolls it back; returns the spelling written, or null. */
  private async planCompletion(bitmask: Int32Array): Promise<string | null> {
    let current = bitmask;
    const strings = this.strings.copy();
    let plan = '';
    let steps = 0;
    try {
      for (;;) {
        if (this.vocabulary.stopTokenIds.some((id) => isAllowed(current, id))) return plan;
        if (steps === MAX_PLAN_TOKENS) return null;
        const token = this.completingToken(current, strings);
        if (token === null || !this.matcher.acceptToken(token)) return null;
        steps += 1;
        const spelling = this.vocabulary.spellings[token];
        plan += spelling;
        strings.advance(spelling);
        current = await this.matcher.getNextTokenBitmask();
      }
    } finally {
      if (steps > 0) this.matcher.rollBack(steps);
    }
  }

  /**
   * The allowed token that brings the document nearest its end: one that closes
   * the open string, objects and arrays; else a colon, comma or `0`; else the
   * lowest allowed id, which is a single printable character (what an enum
   * value, a required key or `false` spells out, or a quote that opens a string).
   */
  private completingToken(bitmask: Int32Array, strings: StringState): number | null {
    const { closingTokens, quoteClosingTokens, fillerTokens, spellings } = this.vocabulary;
    const closers = strings.escaped ? [] : strings.inString ? quoteClosingTokens : closingTokens;
    for (const id of closers) if (isAllowed(bitmask, id)) return id;
    for (const id of fillerTokens) if (isAllowed(bitmask, id)) return id;
    for (let word = 0; word < bitmask.length; word++) {
      for (let bits = bitmask[word]; bits !== 0; bits &= bits - 1) {
        const id = word * 32 + 31 - Math.clz32(bits & -bits);
        if (spellings[id]) return id;
      }
    }
    return null;
  }
}
