import type { DeviceReport, LoadedModel, WidgetStorage } from '../protocol/index.ts';

/**
 * The widget's device line: what runs, and what the browser allows a frame.
 * A cross-origin iframe is cross-origin isolated (so WASM gets threads) only
 * when the host page is isolated too and delegates `allow="cross-origin-isolated"`;
 * WebGPU needs neither. Its storage is partitioned by the host's site.
 */
export function deviceLine(report: DeviceReport | null, loaded: LoadedModel | null, storage: WidgetStorage): string[] {
  if (!report) return ['Checking the device…'];
  const device = loaded?.device ?? report.recommended.device;
  const lines: string[] = [];
  const name = device === 'webgpu' ? `WebGPU${report.adapter ? ` (${report.adapter})` : ''}` : 'WASM';
  lines.push(loaded ? `Runs on ${name}.` : `${name} recommended.`);
  lines.push(
    report.cross_origin_isolated
      ? `Cross-origin isolated: WASM on ${report.wasm_threads} threads.`
      : 'Not cross-origin isolated: WASM on 1 thread (the host page needs COOP and COEP, and allow="cross-origin-isolated" on this frame; WebGPU needs neither).',
  );
  if (storage === 'partitioned') lines.push('Storage is kept for this site only: a model downloaded here downloads again on other sites.');
  if (storage === 'blocked') lines.push('The browser gives this frame no storage: the model downloads again on every visit.');
  return lines;
}
