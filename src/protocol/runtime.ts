import type { Device, DeviceReport, Dtype } from './types.ts';

/** The dtype a device runs when the caller names none: 4-bit weights, with fp16 math where WebGPU has shader-f16. */
function usualDtype(device: Device, report: DeviceReport): Dtype {
  if (device === report.recommended.device) return report.recommended.dtype;
  return device === 'webgpu' && report.shader_f16 ? 'q4f16' : 'q4';
}

/**
 * The dtype a load uses when the caller names none: the device's usual one,
 * or, for a model not published in it, the first dtype it is published in.
 * The engine loads with it and the UI estimates memory with it.
 */
export function defaultDtype(device: Device, report: DeviceReport, published: readonly Dtype[] | null): Dtype {
  const usual = usualDtype(device, report);
  return published && published.length > 0 && !published.includes(usual) ? published[0] : usual;
}
