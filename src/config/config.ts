import * as z from 'zod';
import type { PipelineSettings } from '../application/pipeline-settings.js';
import { MAX_MESSAGE_BYTES } from '../domain/chunk.js';
import { ConfigurationError } from '../domain/errors.js';
import { FORMAT_NAMES, isKnownFormat } from '../domain/parsing/formats.js';
import { parseFormatRules } from '../domain/parsing/key-rules.js';
import { compileEventFilter, type EventFilterSettings } from '../domain/filtering/event-filter.js';
import { DEFAULT_REDACTION, parseRedactList, Redactor, type RedactionSettings } from '../domain/redaction/redactor.js';

/**
 * Where the deployed pipeline's resources are, and its tunables; read once per cold start. A resource the reader did
 * not require ({@link LoadConfigOptions.required}) and that is not set is empty.
 */
export interface AwsConfig {
  /** DynamoDB table of batches, chunk markers and entries (`LOGBATCH_TABLE_NAME`). */
  readonly tableName: string;
  /** SQS chunk queue (`LOGBATCH_QUEUE_URL`). */
  readonly queueUrl: string;
  /** SQS dead-letter queue of the chunk queue (`LOGBATCH_DLQ_URL`). */
  readonly deadLetterQueueUrl: string;
  /** SQS queue a splitter hands the rest of a long split to (`LOGBATCH_CONTINUATION_QUEUE_URL`); optional. */
  readonly continuationQueueUrl?: string;
  /**
   * Secrets Manager secret holding the HMAC redaction key (`LOGBATCH_REDACT_KEY_SECRET_ARN`): the Lambda wiring reads
   * it at cold start into `pipeline.redaction.key`, so the key never sits in the function's environment.
   */
  readonly redactKeySecretArn?: string;
  /** Only the settings the environment sets; the rest keep their defaults. */
  readonly pipeline: Partial<PipelineSettings>;
}

/** The environment variables {@link loadConfig} reads, for documentation and the CDK stack. */
export const CONFIG_VARIABLES = {
  tableName: 'LOGBATCH_TABLE_NAME',
  queueUrl: 'LOGBATCH_QUEUE_URL',
  deadLetterQueueUrl: 'LOGBATCH_DLQ_URL',
  continuationQueueUrl: 'LOGBATCH_CONTINUATION_QUEUE_URL',
  maxChunkBytes: 'LOGBATCH_MAX_CHUNK_BYTES',
  maxChunkLines: 'LOGBATCH_MAX_CHUNK_LINES',
  maxEventBytes: 'LOGBATCH_MAX_EVENT_BYTES',
  maxReceiveCount: 'LOGBATCH_MAX_RECEIVE_COUNT',
  entryTtlDays: 'LOGBATCH_ENTRY_TTL_DAYS',
  format: 'LOGBATCH_FORMAT',
  formatRules: 'LOGBATCH_FORMAT_RULES',
  include: 'LOGBATCH_INCLUDE',
  exclude: 'LOGBATCH_EXCLUDE',
  minSeverity: 'LOGBATCH_MIN_SEVERITY',
  redact: 'LOGBATCH_REDACT',
  redactReplacement: 'LOGBATCH_REDACT_REPLACEMENT',
  redactKey: 'LOGBATCH_REDACT_KEY',
  redactKeySecretArn: 'LOGBATCH_REDACT_KEY_SECRET_ARN',
} as const;

/** `LOGBATCH_INCLUDE` / `LOGBATCH_EXCLUDE`: one regular expression, or a JSON array of them (`["^DEBUG", "health"]`). */
const patternList = z
  .string()
  .transform((value, context) => {
    const trimmed = value.trim();
    if (!trimmed.startsWith('[')) return [value];
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((each) => typeof each === 'string')) return parsed as string[];
    } catch {
      // not JSON: reported below
    }
    context.addIssue({ code: 'custom', message: 'must be a regular expression or a JSON array of strings' });
    return z.NEVER;
  })
  .optional();

const required = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be a string (${what})`) })
    .trim()
    .min(1, { error: 'is required', abort: true });

const queueUrl = required('an SQS queue URL').pipe(
  z.url({ protocol: /^https?$/, error: 'must be an http(s) queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/name' }),
);

const wholeNumber = (minimum: number, maximum: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: `must be a whole number from ${minimum} to ${maximum}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(minimum, { error: `must be at least ${minimum}` })
        .max(maximum, { error: `must be at most ${maximum}` }),
    )
    .optional();

/** The resources a configuration names, as {@link AwsConfig} calls them. */
export type ConfigResource = 'tableName' | 'queueUrl' | 'deadLetterQueueUrl' | 'continuationQueueUrl';

/** What the Lambda functions need, and so what {@link loadConfig} requires unless told otherwise. */
const LAMBDA_RESOURCES: readonly ConfigResource[] = ['tableName', 'queueUrl', 'deadLetterQueueUrl'];

const RESOURCE_SCHEMAS = {
  tableName: required('a DynamoDB table name').regex(/^[A-Za-z0-9_.-]{3,255}$/, {
    error: 'must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."',
  }),
  queueUrl,
  deadLetterQueueUrl: queueUrl,
  continuationQueueUrl: queueUrl,
} satisfies Record<ConfigResource, z.ZodType<string, string>>;

/** A resource the caller requires is checked as given (blank: "is required"); one it does not is unset when blank. */
function resourceSchema(resource: ConfigResource, requiredResources: ReadonlySet<ConfigResource>): z.ZodType<string | undefined, string | undefined> {
  const schema = RESOURCE_SCHEMAS[resource];
  if (requiredResources.has(resource)) return schema;
  return z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), schema.optional()) as z.ZodType<
    string | undefined,
    string | undefined
  >;
}

const redactionSchema = z.object({
  LOGBATCH_REDACT: z.string().optional(),
  LOGBATCH_REDACT_REPLACEMENT: z.enum(['mask', 'hmac'], { error: 'must be mask or hmac' }).optional(),
  LOGBATCH_REDACT_KEY: z.string().optional(),
});

const tunablesSchema = z.object({
  // A chunk must fit one SQS message; below 1 KiB the per-message overhead dominates.
  LOGBATCH_MAX_CHUNK_BYTES: wholeNumber(1024, MAX_MESSAGE_BYTES),
  LOGBATCH_MAX_CHUNK_LINES: wholeNumber(1, 1_000_000),
  LOGBATCH_MAX_EVENT_BYTES: wholeNumber(1024, 350 * 1024),
  // SQS accepts a redrive maxReceiveCount from 1 to 1000.
  LOGBATCH_MAX_RECEIVE_COUNT: wholeNumber(1, 1000),
  LOGBATCH_ENTRY_TTL_DAYS: wholeNumber(0, 36_500),
  LOGBATCH_FORMAT: z
    .string()
    .trim()
    .refine((format) => format === 'auto' || isKnownFormat(format), {
      error: () => `must be "auto" or one of: ${FORMAT_NAMES.join(', ')}`,
    })
    .optional(),
  LOGBATCH_FORMAT_RULES: z
    .string()
    .transform((spec, context) => {
      try {
        return parseFormatRules(spec);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  LOGBATCH_INCLUDE: patternList,
  LOGBATCH_EXCLUDE: patternList,
  LOGBATCH_MIN_SEVERITY: z.string().trim().optional(),
  ...redactionSchema.shape,
  LOGBATCH_REDACT_KEY_SECRET_ARN: z.string().trim().regex(/^arn:aws[a-z-]*:secretsmanager:/, { error: 'must be a Secrets Manager secret ARN' }).optional(),
});

function environmentSchema(requiredResources: ReadonlySet<ConfigResource>) {
  return z.object({
    LOGBATCH_TABLE_NAME: resourceSchema('tableName', requiredResources),
    LOGBATCH_QUEUE_URL: resourceSchema('queueUrl', requiredResources),
    LOGBATCH_DLQ_URL: resourceSchema('deadLetterQueueUrl', requiredResources),
    LOGBATCH_CONTINUATION_QUEUE_URL: resourceSchema('continuationQueueUrl', requiredResources),
    ...tunablesSchema.shape,
  });
}

/** One of the variables {@link loadConfig} reads. */
export type ConfigVariable = (typeof CONFIG_VARIABLES)[keyof typeof CONFIG_VARIABLES];

/**
 * A value given for a variable other than by the environment, e.g. by a command-line flag: it wins over the variable
 * (taken as given: an empty one is not unset), and messages call it `from` (`--table`) instead of the variable's name.
 */
export interface ConfigOverride {
  readonly value: string;
  readonly from: string;
}

export type ConfigOverrides = Readonly<Partial<Record<ConfigVariable, ConfigOverride>>>;

export interface LoadConfigOptions {
  /**
   * The resources that must be set. Those not required may be unset (then empty in the result: the caller must not
   * use them); when set, they are validated all the same. @default the table, the chunk queue and its DLQ (what the
   * Lambda functions need)
   */
  readonly required?: readonly ConfigResource[];
  readonly overrides?: ConfigOverrides;
}

/**
 * Reads and validates the configuration from environment variables. Throws {@link ConfigurationError} naming
 * every missing or malformed variable (or, for an override, where its value came from). Endpoints are not configured
 * here: the SDK reads the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables itself.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, options: LoadConfigOptions = {}): AwsConfig {
  const overrides = options.overrides ?? {};
  const variables = parseVariables(environmentSchema(new Set(options.required ?? LAMBDA_RESOURCES)), env, overrides);
  const pipeline: { -readonly [K in keyof PipelineSettings]?: PipelineSettings[K] } = {};
  if (variables.LOGBATCH_MAX_CHUNK_BYTES !== undefined) pipeline.maxChunkBytes = variables.LOGBATCH_MAX_CHUNK_BYTES;
  if (variables.LOGBATCH_MAX_CHUNK_LINES !== undefined) pipeline.maxChunkLines = variables.LOGBATCH_MAX_CHUNK_LINES;
  if (variables.LOGBATCH_MAX_EVENT_BYTES !== undefined) pipeline.maxEventBytes = variables.LOGBATCH_MAX_EVENT_BYTES;
  if (variables.LOGBATCH_MAX_RECEIVE_COUNT !== undefined) pipeline.maxReceiveCount = variables.LOGBATCH_MAX_RECEIVE_COUNT;
  if (variables.LOGBATCH_ENTRY_TTL_DAYS !== undefined) pipeline.entryTtlDays = variables.LOGBATCH_ENTRY_TTL_DAYS;
  if (variables.LOGBATCH_FORMAT !== undefined) pipeline.format = variables.LOGBATCH_FORMAT;
  if (variables.LOGBATCH_FORMAT_RULES !== undefined) pipeline.formatRules = variables.LOGBATCH_FORMAT_RULES;
  const filters: EventFilterSettings = {
    include: variables.LOGBATCH_INCLUDE ?? [],
    exclude: variables.LOGBATCH_EXCLUDE ?? [],
    ...(variables.LOGBATCH_MIN_SEVERITY === undefined ? {} : { minSeverity: variables.LOGBATCH_MIN_SEVERITY }),
  };
  checked('LOGBATCH_INCLUDE, LOGBATCH_EXCLUDE or LOGBATCH_MIN_SEVERITY', () => compileEventFilter(filters));
  pipeline.filters = filters;
  const keyFromSecret = variables.LOGBATCH_REDACT_KEY_SECRET_ARN !== undefined;
  pipeline.redaction = checkedRedaction(variables, overrides, keyFromSecret);
  return {
    tableName: variables.LOGBATCH_TABLE_NAME ?? '',
    queueUrl: variables.LOGBATCH_QUEUE_URL ?? '',
    deadLetterQueueUrl: variables.LOGBATCH_DLQ_URL ?? '',
    ...(variables.LOGBATCH_CONTINUATION_QUEUE_URL !== undefined ? { continuationQueueUrl: variables.LOGBATCH_CONTINUATION_QUEUE_URL } : {}),
    ...(keyFromSecret ? { redactKeySecretArn: variables.LOGBATCH_REDACT_KEY_SECRET_ARN } : {}),
    pipeline,
  };
}

/**
 * The redaction settings of `LOGBATCH_REDACT`, `LOGBATCH_REDACT_REPLACEMENT` and `LOGBATCH_REDACT_KEY` (the key
 * itself: no Secrets Manager here), validated exactly as {@link loadConfig} validates them for the worker, and nothing
 * else of the environment: for a local run, whose flags are `overrides`. Throws {@link ConfigurationError} naming the
 * variable at fault, or the flag its value came from.
 */
export function loadRedactionConfig(env: Readonly<Record<string, string | undefined>>, options: { readonly overrides?: ConfigOverrides } = {}): RedactionSettings {
  const overrides = options.overrides ?? {};
  return checkedRedaction(parseVariables(redactionSchema, env, overrides), overrides, false);
}

/** `env`'s logbatch variables with the overrides over them, parsed; every problem in one {@link ConfigurationError}. */
function parseVariables<Schema extends z.ZodType>(schema: Schema, env: Readonly<Record<string, string | undefined>>, overrides: ConfigOverrides): z.output<Schema> {
  const values = pickOwn(env);
  for (const [variable, override] of Object.entries(overrides)) if (override !== undefined) values[variable] = override.value;
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? 'environment' : nameOf(String(issue.path[0]), overrides)} ${issue.message}`);
    throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** What to call a variable in a message: the flag (or whatever) its value came from, else its own name. */
function nameOf(variable: string, overrides: ConfigOverrides): string {
  return overrides[variable as ConfigVariable]?.from ?? variable;
}

/**
 * The redaction settings, compiled once to check them: a bad detector list is `LOGBATCH_REDACT`'s fault, a missing
 * HMAC key that of `LOGBATCH_REDACT_REPLACEMENT`, which asked for HMAC. With the key in Secrets Manager, it is
 * checked once read (a placeholder stands in for it here).
 */
function checkedRedaction(variables: z.output<typeof redactionSchema>, overrides: ConfigOverrides, keyFromSecret: boolean): RedactionSettings {
  const redaction: RedactionSettings = {
    redact: variables.LOGBATCH_REDACT ?? DEFAULT_REDACTION.redact,
    replacement: variables.LOGBATCH_REDACT_REPLACEMENT ?? DEFAULT_REDACTION.replacement,
    ...(variables.LOGBATCH_REDACT_KEY === undefined ? {} : { key: variables.LOGBATCH_REDACT_KEY }),
  };
  checked(nameOf('LOGBATCH_REDACT', overrides), () => parseRedactList(redaction.redact));
  checked(nameOf('LOGBATCH_REDACT_REPLACEMENT', overrides), () =>
    Redactor.compile(keyFromSecret && redaction.key === undefined ? { ...redaction, key: 'placeholder' } : redaction),
  );
  return redaction;
}

/** Runs a compile step, turning its error into one naming the variables. */
function checked(variables: string, compile: () => unknown): void {
  try {
    compile();
  } catch (error) {
    throw new ConfigurationError(`invalid configuration: ${variables}: ${(error as Error).message}`);
  }
}

/** The logbatch variables only, with empty strings treated as unset (as an empty CDK env value would be). */
function pickOwn(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const names: string[] = Object.values(CONFIG_VARIABLES);
  return Object.fromEntries(names.map((name) => [name, env[name] === '' ? undefined : env[name]]));
}
