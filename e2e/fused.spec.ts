/**
 * The fused graph (ORT contrib ops: SimplifiedLayerNormalization,
 * SkipSimplifiedLayerNormalization, GroupQueryAttention with rotary; and the
 * num_logits_to_keep input) in the browser, on onnxruntime-web's WASM CPU
 * provider and its WebGPU provider, against the plain graph of the same
 * weights on the same device: the same greedy tokens, and first-step logits
 * within a stated tolerance. WebGPU here is SwiftShader, so its answers stay
 * a few tokens long, and it has no shader-f16, so q4f16 runs on WASM only.
 */
import { expect, test } from '@playwright/test';
import type { Device, Dtype } from '../src/protocol/index.ts';
import { INSTRUCT, openApp } from './helpers.ts';

const FUSED = 'tiny-random/deepseek-coder-instruct-fused';
const PROMPT = 'def fibonacci(n):';
/**
 * Max |Δ logit| between the graphs (logits reach about ±20). fp32 activations
 * on WASM: only the accumulation order differs. WebGPU: its attention and
 * norm kernels reduce in other orders, in parallel. q4f16: the fused graph
 * attends in fp16, its cache's type, where the plain one upcasts the cache to fp32.
 */
function tolerance(device: Device, dtype: Dtype): number {
  if (dtype === 'q4f16') return 0.05;
  return device === 'webgpu' ? 1e-2 : 1e-3;
}

interface Run {
  logits: number[];
  answer: string;
}

for (const [device, dtype, maxTokens] of [
  ['wasm', 'q4', 8],
  ['wasm', 'q4f16', 8],
  ['webgpu', 'q4', 3],
] as const satisfies readonly (readonly [Device, Dtype, number])[]) {
  test(`on ${device} ${dtype}, the fused graph answers as the plain graph and its first-step logits agree`, async ({ page }) => {
    test.setTimeout(240_000);
    await openApp(page);
    const runs: Run[] = [];
    for (const model of [INSTRUCT, FUSED]) {
      runs.push(
        await page.evaluate(
          async ({ model, device, dtype, prompt, maxTokens }) => {
            await window.deepseek.load(model, { device, dtype });
            const logits = Array.from(await window.deepseek.internals.nextTokenLogits(prompt));
            const reply = await window.deepseek.chat.completions.create({
              model,
              messages: [{ role: 'user', content: prompt }],
              temperature: 0,
              max_tokens: maxTokens,
            });
            return { logits, answer: reply.choices[0].message.content ?? '' };
          },
          { model, device, dtype, prompt: PROMPT, maxTokens },
        ),
      );
    }
    const [plain, fused] = runs;
    let maxDifference = 0;
    for (let i = 0; i < plain.logits.length; i++) maxDifference = Math.max(maxDifference, Math.abs(plain.logits[i] - fused.logits[i]));
    console.log(`${device} ${dtype}: max |fused - plain| first-step logit ${maxDifference.toExponential(2)}; answer ${JSON.stringify(fused.answer)}`);
    expect(fused.logits.length).toBe(plain.logits.length);
    expect(maxDifference).toBeLessThan(tolerance(device, dtype));
    expect(fused.answer.length).toBeGreaterThan(0);
    expect(fused.answer).toBe(plain.answer);
  });
}
