/** The benchmark's table and ratios, as printed and as written to the JSON result. */
import type { EngineFigures } from './figures.ts';

type Column = [label: string, value: (figures: EngineFigures) => string];

const ms = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`);
const rate = (value: number | undefined) => (value === undefined ? '–' : value >= 100 ? value.toFixed(0) : value.toFixed(2));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const COLUMNS: Column[] = [
  ['threads', (f) => String(f.threads)],
  ['load cold', (f) => ms(f.load.coldMs)],
  ['load warm', (f) => ms(f.load.warmMs)],
  ['first token', (f) => `${ms(f.prefill.ttftMs)} @${f.prefill.promptTokens}`],
  ['prefill tok/s', (f) => `${rate(f.prefill.tokensPerSecond)} (${rate(f.prefill.reportedTokensPerSecond)})`],
  ['decode tok/s', (f) => `${rate(f.decode.tokensPerSecond)} (${rate(f.decode.reportedTokensPerSecond)}) ×${f.decode.tokens}`],
  ['follow-up cached', (f) => (f.followUp ? `${ms(f.followUp.withCacheMs)} (${f.followUp.cachedTokens} of ${f.followUp.promptTokens})` : '–')],
  ['follow-up cold', (f) => (f.followUp ? ms(f.followUp.withoutCacheMs) : '–')],
  ['peak renderer, loads', (f) => mib(f.loadPeakRendererBytes)],
  ['peak renderer', (f) => mib(f.peakRendererBytes)],
  ['WebGPU', (f) => (f.webgpu ? `${rate(f.webgpu.tokensPerSecond)} tok/s, ${f.webgpu.agreesWithWasm ? 'same tokens as WASM' : 'DIFFERS from WASM'}` : '–')],
];

export function table(rows: EngineFigures[]): string {
  const header = ['', ...rows.map((row) => row.engine)];
  const body = COLUMNS.map(([label, value]) => [label, ...rows.map(value)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => line[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export interface Ratio {
  figure: string;
  /** Ours divided by the other engine, each a rate where higher is better (a time's inverse). */
  ratio: number;
}

/** Ours against another engine: above 1 means ours is faster (or lighter). */
export function ratios(ours: EngineFigures, other: EngineFigures): Ratio[] {
  const list: Ratio[] = [
    { figure: 'load cold (speed)', ratio: other.load.coldMs / ours.load.coldMs },
    { figure: 'load warm (speed)', ratio: other.load.warmMs / ours.load.warmMs },
    { figure: 'prefill tok/s', ratio: ours.prefill.tokensPerSecond / other.prefill.tokensPerSecond },
    { figure: 'decode tok/s', ratio: ours.decode.tokensPerSecond / other.decode.tokensPerSecond },
    { figure: 'peak memory while loading (lightness)', ratio: other.loadPeakRendererBytes / ours.loadPeakRendererBytes },
    { figure: 'peak memory (lightness)', ratio: other.peakRendererBytes / ours.peakRendererBytes },
  ];
  if (ours.followUp && other.followUp) {
    list.push({ figure: 'follow-up cached (speed)', ratio: other.followUp.withCacheMs / ours.followUp.withCacheMs });
  }
  return list;
}

export function ratioLines(ours: EngineFigures, others: EngineFigures[]): string {
  return others
    .map((other) => `ours / ${other.engine}: ${ratios(ours, other).map(({ figure, ratio }) => `${figure} ${ratio.toFixed(2)}×`).join(', ')}`)
    .join('\n');
}
