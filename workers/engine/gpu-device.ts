/**
 * transformers.js and ONNX Runtime do not watch `GPUDevice.lost`. A device
 * can go (driver reset, out of memory, a backgrounded tab on some systems),
 * and a forward pass on it may then never settle. This watches ORT's device
 * and turns its loss into one clear error that every pass races against, so
 * the request in flight ends and nothing waits forever.
 */
import { env } from '@huggingface/transformers';
import { ApiError } from '../../src/protocol/errors.ts';

/** How long a failed pass waits for the device's loss to be reported before failing with its own error. */
const LOSS_GRACE_MS = 50;

interface GpuDeviceLostInfo {
  reason: string;
  message: string;
}

/** The slice of GPUDevice used here; declared to keep @webgpu/types out of the build. */
interface GpuDeviceLike {
  lost: Promise<GpuDeviceLostInfo>;
  destroy(): void;
}

/** ORT's WebGPU device. Only once a WebGPU session exists: asked before, ORT would create a device of its own. */
export async function runtimeGpuDevice(): Promise<GpuDeviceLike | null> {
  const webgpu = env.backends.onnx.webgpu as { device?: Promise<GpuDeviceLike> | GpuDeviceLike } | undefined;
  return (await webgpu?.device) ?? null;
}

export function gpuDeviceLost(info: GpuDeviceLostInfo): ApiError {
  const why = info.message ? ` (${info.reason}: ${info.message})` : info.reason && info.reason !== 'unknown' ? ` (${info.reason})` : '';
  return new ApiError(
    {
      message: `The GPU device was lost${why}, so the model on WebGPU stopped. Reload the page to use WebGPU again, or load the model on WASM (CPU).`,
      type: 'server_error',
      param: null,
      code: 'gpu_device_lost',
    },
    503,
  );
}

export class GpuDeviceWatch {
  /** Rejects with the loss, once the device is lost. */
  private readonly lostPromise: Promise<never>;
  private lostError: ApiError | null = null;

  constructor(device: GpuDeviceLike) {
    this.lostPromise = device.lost.then((info) => {
      this.lostError = gpuDeviceLost(info);
      throw this.lostError;
    });
    // Observed through `race`; a device lost while idle must not be an unhandled rejection.
    this.lostPromise.catch(() => undefined);
  }

  /** The loss, once it happened: the model cannot run any more. */
  get lost(): ApiError | null {
    return this.lostError;
  }

  /** `work`, or the loss if the device goes first. */
  async race<T>(work: Promise<T>): Promise<T> {
    if (this.lostError) throw this.lostError;
    try {
      return await Promise.race([work, this.lostPromise]);
    } catch (error) {
      // A pass on a lost device can reject (a failed mapAsync) just before `lost` resolves: the loss is the better answer.
      if (error !== this.lostError) await Promise.race([this.lostPromise.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, LOSS_GRACE_MS))]);
      throw this.lostError ?? error;
    }
  }
}
