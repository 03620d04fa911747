/** What a WebGPU adapter says of itself: the part that tells a GPU from a software renderer. */
export interface AdapterIdentity {
  /** Older Chromium; newer ones moved it to `info`. */
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
}

/** Software renderers as their adapter info names them: Chromium's SwiftShader, Mesa's llvmpipe, Windows' WARP. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** Whether an adapter is a CPU pretending to be a GPU. */
export function isSoftwareAdapter(adapter: AdapterIdentity): boolean {
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter === true || info.isFallbackAdapter === true) return true;
  return SOFTWARE_RENDERER.test([info.vendor, info.architecture, info.description, info.device].join(' '));
}

