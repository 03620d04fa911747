/**
 * What a load will cost, worked out before it starts: the dtype the engine
 * will pick, the weights and KV cache it needs, what is still to download,
 * and what of that the device's known limits will not hold.
 */
import {
  defaultDtype,
  estimateLoad,
  fitWarnings,
  type CachedModel,
  type Device,
  type DeviceLimits,
  type DeviceReport,
  type Dtype,
  type DtypeDownload,
  type FitWarning,
  type LoadEstimate,
  type ModelSizes,
} from '../protocol/index.ts';

export interface LoadPlan {
  device: Device;
  dtype: Dtype;
  /** The chosen dtype's download; null when sizes are unknown or the model does not publish it. */
  download: DtypeDownload | null;
  /** Bytes not yet in the browser cache. */
  remaining_bytes: number | null;
  estimate: LoadEstimate | null;
  warnings: FitWarning[];
}

export interface PlanInputs {
  report: DeviceReport;
  device: Device | 'auto';
  dtype: Dtype | 'auto';
  sizes: ModelSizes | null;
  cached: CachedModel | null;
  /** Page-side facts: navigator.deviceMemory and the storage quota left. */
  deviceMemoryGib: number | null;
  storageAvailableBytes: number | null;
}

export function planLoad(inputs: PlanInputs): LoadPlan {
  const { report, sizes, cached } = inputs;
  const device = inputs.device === 'auto' ? report.recommended.device : inputs.device;
  const published = sizes?.dtypes?.map((download) => download.dtype) ?? null;
  const dtype = inputs.dtype === 'auto' ? defaultDtype(device, report, published) : inputs.dtype;
  const download = sizes?.dtypes?.find((candidate) => candidate.dtype === dtype) ?? null;
  const cachedPaths = new Set(cached?.files.map((file) => file.path));
  const remaining = download ? download.files.filter((file) => !cachedPaths.has(file.path)).reduce((sum, file) => sum + file.bytes, 0) : null;
  const estimate = download && sizes?.architecture ? estimateLoad(sizes.architecture, dtype, download.weights_bytes, device) : null;
  const limits: DeviceLimits = {
    device,
    device_memory_gib: inputs.deviceMemoryGib,
    max_buffer_size: report.gpu?.max_buffer_size || null,
    max_storage_buffer_binding_size: report.gpu?.max_storage_buffer_binding_size || null,
    storage_available_bytes: inputs.storageAvailableBytes,
  };
  return {
    device,
    dtype,
    download,
    remaining_bytes: remaining,
    estimate,
    warnings: estimate ? fitWarnings(estimate, limits, remaining ?? 0) : [],
  };
}
