/** What the user can do about a failed answer, by the API error's code. */
export function errorAdvice(code: string | null): string {
  switch (code) {
    case 'context_length_exceeded':
      return 'The conversation no longer fits in the model’s context. Start a new conversation, clear this one, edit an earlier message to shorten it, or lower Max tokens.';
    case 'model_not_found':
      return 'The model was unloaded or replaced. Load it again in the Model panel, then press Retry.';
    case 'gpu_device_lost':
      return 'The model panel offers to reload the page for WebGPU, or to load the model on WASM now; then press Retry.';
    case 'invalid_value':
    case 'invalid_type':
      return 'A parameter was refused (the message above names it). Adjust it in the Parameters panel, then press Retry.';
    default:
      return 'Press Retry to try again. If it keeps failing, reload the model in the Model panel.';
  }
}
