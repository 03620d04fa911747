/** Copies text, answering whether the browser allowed it (it may refuse without a user gesture or permission). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
