/**
 * llama.cpp's converter reorders the rows of q and k: Hugging Face rotates
 * each head's two halves against each other, llama.cpp rotates adjacent
 * pairs, so within each head the halves [0 … d/2) and [d/2 … d) are
 * interleaved (ggml row 2i holds Hugging Face row i, row 2i + 1 holds row
 * d/2 + i). A converted graph applies Hugging Face's rotation, so the order
 * is undone: whole rows move, and the blocks inside each row stay intact.
 */

/** The ggml row that holds Hugging Face row `row` of a q or k weight with heads of `headDim`. */
export function ggufRowOfHfRow(headDim: number): (row: number) => number {
  const half = headDim / 2;
  return (row) => {
    const head = Math.floor(row / headDim);
    const within = row - head * headDim;
    return head * headDim + (within < half ? 2 * within : 2 * (within - half) + 1);
  };
}

/** The inverse: the Hugging Face row that ggml row `row` holds, the order llama.cpp's converter writes. */
export function ropeInterleavedRow(headDim: number): (row: number) => number {
  return (row) => {
    const head = Math.floor(row / headDim);
    const within = row % headDim;
    return head * headDim + (within % 2) * (headDim / 2) + Math.floor(within / 2);
  };
}
