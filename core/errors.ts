/**
 * The sentence of anything thrown: an Error's message, the message of a plain error object (JSONata throws
 * `{ code, message, position }`), or the value as text.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return String(err);
}
