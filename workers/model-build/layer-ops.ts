/**
 * The parts of a decoder layer that come in two forms, plain ONNX ops (as the
 * hub's Optimum export writes them) or ONNX Runtime's fused contrib ops: the
 * RMS norms with their residual adds, and self-attention with its rotary
 * embedding, mask and KV cache. Each part is chosen on its own (the fastest
 * form differs by runtime); the linear layers around them are the same in
 * every graph, so the graph builder's layer loop emits those itself.
 */

/** The residual stream after an add, and its RMS norm, which the next projections read. */
export interface NormedStream {
  normed: string;
  residual: string;
}

export interface NormOps {
  /** The first layer's input norm, of the embeddings (there is nothing to add yet). */
  norm(hidden: string, weight: Float32Array, name: string): NormedStream;
  /** `residual + delta`, then the RMS norm of the sum. */
  addAndNorm(residual: string, delta: string, weight: Float32Array, name: string): NormedStream;
}

export interface AttentionOps {
  /**
   * Self-attention of layer `layer` over fp32 projections [batch, sequence, heads × head_dim]:
   * applies the rotary embedding, appends keys and values to the cache (graph
   * inputs `past_key_values.{layer}.key|value`, outputs `present.{layer}.key|value`)
   * and returns the heads merged back to [batch, sequence, hidden], fp32.
   */
  attention(layer: number, query: string, key: string, value: string): string;
}
