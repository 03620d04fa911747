/**
 * Grammar-constrained decoding with xgrammar (@mlc-ai/web-xgrammar): JSON
 * mode, JSON Schema and forced tool calls. One `GrammarCompiler` per loaded
 * model pays for the tokenizer's preprocessing once and compiles each grammar
 * once; each generation gets its own `TokenConstraint`, disposed when it ends.
 *
 * xgrammar's WebAssembly is embedded in its JavaScript (a base64 data URL that
 * it decodes itself), so it needs no file of its own and no network. The
 * package ships a UMD bundle inside a `"type": "module"` package: Vite's
 * bundler reads it as CommonJS, and vitest runs it through Vite
 * (`server.deps.inline` in vitest.config.ts). Plain Node cannot import it, so
 * it is loaded on first use rather than when this module is imported.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type * as XGrammar from '@mlc-ai/web-xgrammar';
import { invalidRequest } from '../../../src/protocol/errors.ts';
import { GrammarConstraint, type TokenConstraint } from './constraint.ts';
import type { Grammar } from './ebnf.ts';
import { jsonObjectGrammar } from './json-grammar.ts';
import { schemaGrammar } from './schema-grammar.ts';
import { grammarVocabulary, type GrammarVocabulary } from './vocabulary.ts';

export type { TokenConstraint } from './constraint.ts';

export interface GrammarCompilerOptions {
  /** Width of the logits (the embedding rows); ids the tokenizer lacks are always masked. */
  vocabSize: number;
  /** Tokens that end generation; the only ones allowed once a document is complete. */
  stopTokenIds: readonly number[];
}

interface Backend {
  xgrammar: typeof XGrammar;
  info: XGrammar.TokenizerInfo;
  compiler: XGrammar.GrammarCompiler;
  vocabulary: GrammarVocabulary;
}

/** Compiled grammars kept per model; each holds token masks in WebAssembly memory. */
const CACHE_LIMIT = 16;

/** A compiled grammar; `constrain` starts one generation under it. */
export class CompiledJsonGrammar {
  constructor(
    private readonly compiled: XGrammar.CompiledGrammar,
    private readonly backend: Backend,
  ) {}

  /**
   * A constraint for one generation. `budget` is how many tokens the decode
   * loop may still sample, the stop token included (max_tokens at the start);
   * with it the constraint closes the document before the budget runs out.
   */
  async constrain(budget: number | null = null): Promise<TokenConstraint> {
    const { xgrammar, vocabulary } = this.backend;
    const matcher = await xgrammar.GrammarMatcher.createGrammarMatcher(this.compiled, vocabulary.stopTokenIds);
    return new GrammarConstraint(matcher, vocabulary, budget);
  }
}

export class GrammarCompiler {
  private backend: Promise<Backend> | null = null;
  private readonly compiled = new Map<string, Promise<XGrammar.CompiledGrammar>>();
  private disposed = false;

  constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly options: GrammarCompilerOptions,
  ) {}

  /** `response_format: { type: 'json_object' }`: any JSON object. */
  jsonObject(): Promise<CompiledJsonGrammar> {
    return this.compile('json_object', jsonObjectGrammar);
  }

  /**
   * A JSON Schema. Throws (rejects with) a 400 `ApiError` naming `param`, such as
   * `response_format.json_schema.schema` or `tools[0].function.parameters`, for
   * a schema it cannot honour exactly.
   */
  jsonSchema(schema: unknown, param: string): Promise<CompiledJsonGrammar> {
    let key: string;
    try {
      key = `schema:${JSON.stringify(schema)}`;
    } catch {
      return Promise.reject(invalidRequest(`'${param}' must be JSON (it could not be serialised).`, param, 'invalid_json_schema'));
    }
    return this.compile(key, () => schemaGrammar(schema, param));
  }

  dispose(): void {
    this.disposed = true;
    for (const compiled of this.compiled.values()) void compiled.then((grammar) => grammar.dispose(), () => undefined);
    this.compiled.clear();
    const backend = this.backend;
    this.backend = null;
    void backend?.then(
      ({ compiler, info }) => {
        compiler.dispose();
        info.dispose();
      },
      () => undefined,
    );
  }

  private async compile(key: string, build: () => Grammar): Promise<CompiledJsonGrammar> {
    if (this.disposed) throw new Error('The grammar compiler was disposed with its model.');
    let compiled = this.compiled.get(key);
    if (compiled) {
      // Most recently used last, so eviction drops the oldest.
      this.compiled.delete(key);
    } else {
      const grammar = build();
      const missing = grammar.undefinedRules();
      if (missing.length > 0) throw new Error(`Grammar refers to undefined rules: ${missing.join(', ')}.`);
      compiled = this.ready().then(({ compiler }) => compiler.compileGrammar(grammar.toEbnf()));
      compiled.catch(() => this.compiled.delete(key));
      this.evictBeyond(CACHE_LIMIT - 1);
    }
    this.compiled.set(key, compiled);
    return new CompiledJsonGrammar(await compiled, await this.ready());
  }

  /** Requests run one at a time, so an evicted grammar is never one a running generation uses. */
  private evictBeyond(limit: number): void {
    for (const [key, compiled] of this.compiled) {
      if (this.compiled.size <= limit) break;
      this.compiled.delete(key);
      void compiled.then((grammar) => grammar.dispose(), () => undefined);
    }
  }

  private ready(): Promise<Backend> {
    this.backend ??= this.start().catch((error: unknown) => {
      this.backend = null;
      throw error;
    });
    return this.backend;
  }

  private async start(): Promise<Backend> {
    const xgrammar = await import('@mlc-ai/web-xgrammar');
    const { vocabSize, stopTokenIds } = this.options;
    const vocabulary = grammarVocabulary(this.tokenizer, vocabSize, stopTokenIds);
    const info = await xgrammar.TokenizerInfo.createTokenizerInfo(vocabulary.spellings, 'byte_level', false, vocabSize, [...stopTokenIds]);
    // Our own cache keeps compiled grammars; xgrammar's would hold a second copy.
    const compiler = await xgrammar.GrammarCompiler.createGrammarCompiler(info, false);
    return { xgrammar, info, compiler, vocabulary };
  }
}
