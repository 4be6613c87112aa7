/** The unpickler would stop here: truncated input, a malformed opcode, or one of our caps. */
export class PickleError extends Error {
  constructor(
    message: string,
    readonly kind: 'truncated' | 'malformed' | 'limit' = 'malformed',
  ) {
    super(message);
  }
}
