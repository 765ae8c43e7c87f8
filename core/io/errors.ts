/** Errors about a model file: the message always starts with the file (and the entry inside it, when there is one). */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** First line of an error's message (library errors can be long). */
export function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
