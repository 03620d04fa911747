import { toApiError, type FinishReason, type Timings, type Usage } from '../../protocol/index.ts';
import { LiveDecodeCounter, type LiveDecode } from '../live-decode.ts';
import { client } from './client.ts';
import { modelState } from './model.svelte.ts';
import { paramsState } from './params.svelte.ts';

export type RunEnd = FinishReason | 'stopped' | 'error';

/** The text a raw completion was asked to continue: a prompt, and for fill-in-the-middle the code after the hole. */
export interface CompletionInput {
  prompt: string;
  suffix?: string;
}

/**
 * One streamed raw completion (`client.completions.create`), as Prompt and Code
 * infill modes show it: the input it ran on, the text so far, how it ended and
 * what it cost.
 */
export class CompletionRun {
  input = $state<CompletionInput | null>(null);
  text = $state('');
  streaming = $state(false);
  end = $state<RunEnd | null>(null);
  error = $state<string | null>(null);
  usage = $state<Usage | null>(null);
  timings = $state<Timings | null>(null);
  /** The tokens so far, counted from the chunks: while the text streams, and after a stop, which has no timings. */
  live = $state<LiveDecode | null>(null);
  private controller: AbortController | null = null;

  /** Whether there is a result (or one on its way) to show instead of the editors. */
  get active(): boolean {
    return this.input !== null;
  }

  async start(input: CompletionInput): Promise<void> {
    const model = modelState.loaded?.id;
    if (!model || this.streaming) return;
    this.input = input;
    this.text = '';
    this.end = null;
    this.error = null;
    this.usage = null;
    this.timings = null;
    this.live = null;
    this.streaming = true;
    this.controller = new AbortController();
    const counter = new LiveDecodeCounter();
    try {
      const stream = await client().completions.create(
        { model, ...input, ...paramsState.request(), stream: true, stream_options: { include_usage: true } },
        { signal: this.controller.signal },
      );
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (choice?.text) {
          this.text += choice.text;
          this.live = counter.record(performance.now()) ?? this.live;
        }
        if (choice?.finish_reason) this.end = choice.finish_reason;
        if (chunk.timings) this.timings = chunk.timings;
        if (chunk.usage) this.usage = chunk.usage;
      }
    } catch (thrown) {
      const error = toApiError(thrown);
      if (error.error.code === 'aborted') {
        this.end = 'stopped';
      } else {
        this.end = 'error';
        this.error = error.message;
        modelState.noticeFailure(error);
      }
    } finally {
      this.streaming = false;
      this.live = this.end === 'stopped' ? counter.figures() : null;
      this.controller = null;
    }
  }

  stop(): void {
    this.controller?.abort();
  }

  /** Back to the editors: stops anything in flight and forgets the result. */
  clear(): void {
    this.stop();
    this.input = null;
    this.text = '';
    this.end = null;
    this.error = null;
    this.live = null;
  }
}
