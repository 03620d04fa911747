import { CompletionRun } from './completion.svelte.ts';

const EXAMPLE_PROMPT = '# Check whether a number is prime, in Python.\ndef is_prime(n: int) -> bool:\n';

/** Prompt mode: the model continues raw text, no chat template. */
class PromptState {
  text = $state(EXAMPLE_PROMPT);
  readonly run = new CompletionRun();

  /** Continues the text; a continuation on screen becomes part of the text first. */
  generate(): void {
    this.keepContinuation();
    void this.run.start({ prompt: this.text });
  }

  /** Throws the continuation away and asks again from the same text. */
  regenerate(): void {
    const input = this.run.input;
    if (input) void this.run.start(input);
  }

  /** Makes the continuation part of the text, to edit it. */
  keepContinuation(): void {
    if (!this.run.active || this.run.streaming) return;
    this.text = (this.run.input?.prompt ?? this.text) + this.run.text;
    this.run.clear();
  }
}

export const promptState = new PromptState();
