import { CompletionRun } from './completion.svelte.ts';

const EXAMPLE_PREFIX = 'def quick_sort(items: list[int]) -> list[int]:\n    if len(items) <= 1:\n        return items\n    pivot = items[0]\n';
const EXAMPLE_SUFFIX = '    return quick_sort(left) + [pivot] + quick_sort(right)\n';

/** Code infill: the model writes what belongs between a prefix and a suffix (fill-in-the-middle). */
class InfillState {
  prefix = $state(EXAMPLE_PREFIX);
  suffix = $state(EXAMPLE_SUFFIX);
  readonly run = new CompletionRun();

  fill(): void {
    void this.run.start({ prompt: this.prefix, suffix: this.suffix });
  }

  /** The code the last fill produced: prefix, middle and suffix as they were sent. */
  get merged(): string {
    const input = this.run.input;
    return input ? input.prompt + this.run.text + (input.suffix ?? '') : '';
  }

  /** Keeps the filled middle: it becomes the end of the prefix, and the editors come back. */
  accept(): void {
    if (!this.run.input || this.run.streaming) return;
    this.prefix = this.run.input.prompt + this.run.text;
    this.suffix = this.run.input.suffix ?? '';
    this.run.clear();
  }

  discard(): void {
    this.run.clear();
  }
}

export const infillState = new InfillState();
