/**
 * Base of every typed error in the suite. `code` is a stable, machine-readable discriminator;
 * `message` is for humans. Apps map codes to exit codes / HTTP statuses in one place.
 */
export class DvtError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that does not parse or is out of range: hex, lengths, indexes, config values. */
export class InvalidInputError extends DvtError<'INVALID_INPUT'> {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_INPUT', message, details);
  }
}
