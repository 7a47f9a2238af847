import { Duration, Token } from 'aws-cdk-lib';

/**
 * Thrown when a construct or the stack is given props it cannot deploy. Raised before any resource is created,
 * so a bad configuration fails `cdk synth` with the prop's name instead of failing later in CloudFormation.
 */
export class InvalidPropsError extends Error {
  override readonly name = 'InvalidPropsError';

  constructor(
    readonly construct: string,
    readonly prop: string,
    /** What is wrong with the value, without the construct and prop (`expected an integer from 128 to 10240, got 99999`). */
    readonly detail: string,
  ) {
    super(`${construct}: invalid ${prop}: ${detail}`);
  }
}

/** An integer in [min, max]; tokens (values known only at deploy time) are left to CloudFormation. */
export function assertIntegerInRange(construct: string, prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidPropsError(construct, prop, `expected an integer from ${min} to ${max}, got ${value}`);
  }
}

/** A duration in [min, max] (compared in seconds). */
export function assertDurationInRange(construct: string, prop: string, value: Duration, min: Duration, max: Duration): void {
  if (value.isUnresolved()) return;
  const seconds = value.toSeconds();
  if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
    throw new InvalidPropsError(
      construct,
      prop,
      `expected from ${min.toHumanString()} to ${max.toHumanString()}, got ${value.toHumanString()}`,
    );
  }
}

/** A non-empty string without surrounding whitespace. */
export function assertNonBlank(construct: string, prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (value.trim() === '' || value.trim() !== value) {
    throw new InvalidPropsError(construct, prop, `expected a non-empty value without surrounding whitespace, got "${value}"`);
  }
}

/** Log levels the handlers understand (Powertools Logger) that Lambda's advanced logging controls also know. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function assertLogLevel(construct: string, prop: string, value: string): asserts value is LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidPropsError(construct, prop, `expected one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
}
