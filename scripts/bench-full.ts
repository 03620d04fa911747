/**
 * `npm run bench:full`: our engine, bare transformers.js and wllama side by
 * side in one run, in Debian's Chromium, cross-origin isolated, with the same
 * WASM thread count, the same prompt ids, greedy, EOS banned. Prints a table
 * and the ratios, and writes a JSON result (--out). Parameters: see
 * scripts/bench-full/options.ts and the README's Benchmarks section.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { confineToCores, freshProfile, launchChromium, startServer } from './bench-full/browser.ts';
import { FIDELITY_DTYPE, FIDELITY_TOLERANCE, runFidelity } from './bench-full/fidelity-run.ts';
import { fidelityFailures, type FidelityCase } from './bench-full/fidelity.ts';
import type { EngineFigures } from './bench-full/figures.ts';
import { parseOptions, type EngineName } from './bench-full/options.ts';
import { ratioLines, ratios, table } from './bench-full/report.ts';
import { buildPrompts, findGguf, runEngine } from './bench-full/run.ts';

const options = parseOptions(process.argv.slice(2));

/** The GGUF file: wllama needs it; the fidelity check is skipped, with a note, where there is none. */
async function ggufFile(mirrorUrl: string, engines: EngineName[]): Promise<string> {
  if (!engines.includes('wllama') && !options.fidelity) return '';
  try {
    return await findGguf(mirrorUrl, options.model, options.gguf);
  } catch (error) {
    if (engines.includes('wllama')) throw error;
    console.log(`fidelity check skipped: ${error instanceof Error ? error.message : String(error)}`);
    return '';
  }
}
confineToCores(options.threads);
const server = await startServer(options.port, options.skipBuild);
const mirrorUrl = new URL('hf-mirror/', server.url).href;
const browser = await launchChromium();
let failed = false;
try {
  const prompts = await buildPrompts(mirrorUrl, options);
  const engines = options.fidelityOnly ? [] : options.engines;
  const gguf = await ggufFile(mirrorUrl, engines);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Chromium ${browser.version()}`;
  console.log(`bench:full ${options.model} (${options.dtype}${gguf ? `, GGUF ${gguf}` : ''}) on ${machine}`);
  console.log(`prompt ${options.promptTokens} tokens, decode ${options.decodeTokens}, history ${options.historyTokens}, ${options.threads} threads each, greedy, EOS ${prompts.bannedIds.join(', ')} banned`);

  const rows: EngineFigures[] = [];
  for (const engine of engines) {
    console.log(`… ${engine}`);
    rows.push(await runEngine(server.url, engine, options, prompts, gguf));
  }

  if (rows.length > 0) {
    console.log(`\n${table(rows)}\n`);
    console.log('Wall clock on the page; in brackets, what the engine reports itself. Follow-up: first token of a chat turn after the history, with the KV cache and from scratch.');
  }
  const ours = rows.find((row) => row.engine === 'ours');
  const others = rows.filter((row) => row.engine !== 'ours');
  if (ours && others.length > 0) console.log(`\n${ratioLines(ours, others)}`);
  const tjs = rows.find((row) => row.engine === 'transformers.js');
  const wllama = rows.find((row) => row.engine === 'wllama');
  if (tjs?.output.tokens && wllama?.output.tokens) {
    const agreeing = tjs.output.tokens.findIndex((id, i) => wllama.output.tokens?.[i] !== id);
    console.log(`greedy tokens, transformers.js and wllama: ${agreeing === -1 ? 'all agree' : `agree for the first ${agreeing}`}`);
  }
  if (ours && tjs?.output.tokens) {
    const same = prompts.tokenizer.decode(tjs.output.tokens, { skip_special_tokens: false }) === ours.output.text;
    console.log(`greedy text, ours and transformers.js: ${same ? 'identical' : 'DIFFERENT'}`);
  }

  let fidelity: FidelityCase[] = [];
  let fidelityFailed: string[] = [];
  if (options.fidelity && gguf) {
    // On disk, as for the speed figures: the converted file's external data does not fit an incognito context's Cache Storage.
    const oursProfile = await freshProfile();
    try {
      fidelity = await runFidelity(browser, {
        url: server.url,
        model: options.model,
        ...(options.fidelitySource === 'gguf' && { ourModel: `${options.model}/${gguf}` }),
        gguf,
        threads: options.threads,
        tokenizer: prompts.tokenizer,
        oursContext: oursProfile.context,
      });
    } finally {
      await oursProfile.close();
    }
    fidelityFailed = fidelity.flatMap((result) => fidelityFailures(result, FIDELITY_TOLERANCE));
    console.log(`\nFidelity, ours (${options.fidelitySource === 'gguf' ? `${gguf}, converted to ${FIDELITY_DTYPE}` : FIDELITY_DTYPE}) against llama.cpp (${gguf}): next-token logits relative to our top-1`);
    for (const result of fidelity) {
      console.log(
        `  ${JSON.stringify(result.prompt).slice(0, 40).padEnd(40)} top-10 overlap ${result.overlap}/10, max error ${result.maxAbsoluteError.toFixed(3)} (tolerance ${result.absoluteTolerance.toFixed(3)}), relative ${result.maxRelativeError.toFixed(3)}, margin ${result.margin.toFixed(3)}, greedy ${result.greedyChecked ? (result.greedyAgrees ? 'agrees' : 'DIFFERS') : 'not checked'}`,
      );
    }
    console.log(fidelityFailed.length === 0 ? '  fidelity: pass' : `  fidelity: FAIL\n    ${fidelityFailed.join('\n    ')}`);
    failed ||= fidelityFailed.length > 0;
  }

  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(
    options.out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        options,
        gguf,
        engines: rows,
        ratios: ours ? Object.fromEntries(others.map((other) => [other.engine, ratios(ours, other)])) : {}
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${options.out}`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
