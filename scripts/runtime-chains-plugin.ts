import type { Plugin } from 'vite';

/**
 * transformers.js 4.3.1 runs session creation and inference one at a time on
 * the web, through promise chains: `chain = chain.then(next)`. One rejection
 * (a damaged model file, a lost GPU device) leaves the chain rejected, so
 * every later load and every later forward pass fails with that same error,
 * other models too, until the page reloads. This rewrite lets each link run
 * whether the one before it succeeded or not; the failing call still rejects.
 */
const CHAINS = [
  ['webInitChain = webInitChain.then(load)', 'webInitChain = webInitChain.catch(() => undefined).then(load)'],
  ['webInferenceChain = webInferenceChain.then(run)', 'webInferenceChain = webInferenceChain.catch(() => undefined).then(run)'],
] as const;

const TRANSFORMERS_BUNDLE = /@huggingface[\\/]transformers[\\/]dist[\\/]transformers(\.web)?\.js$/;

/** The bundle's code with both chains healed; throws if a chain is not found, so an upgrade cannot drop the fix silently. */
export function healRuntimeChains(code: string): string {
  let healed = code;
  for (const [poisoning, healing] of CHAINS) {
    if (!healed.includes(poisoning)) throw new Error(`transformers.js changed: "${poisoning}" not found; check whether its chains still poison on a rejection.`);
    healed = healed.replaceAll(poisoning, healing);
  }
  return healed;
}

export function runtimeChains(): Plugin {
  return {
    name: 'transformers-runtime-chains',
    transform(code, id) {
      return TRANSFORMERS_BUNDLE.test(id.split('?')[0]) ? { code: healRuntimeChains(code), map: null } : null;
    },
  };
}
