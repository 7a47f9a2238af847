import { DEFAULT_PIPELINE_SETTINGS } from '../../src/application/pipeline-settings.js';
import { CONFIG_VARIABLES } from '../../src/config/config.js';
import { MAX_MESSAGE_BYTES } from '../../src/domain/chunk.js';
import { FORMAT_NAMES } from '../../src/domain/parsing/formats.js';
import { parseFormatRules } from '../../src/domain/parsing/key-rules.js';
import { compileEventFilter } from '../../src/domain/filtering/event-filter.js';
import { DEFAULT_REDACTION, Redactor } from '../../src/domain/redaction/redactor.js';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { assertIntegerInRange, InvalidPropsError } from './validation.js';


/**
 * Pipeline tunables handed to both functions as `LOGBATCH_*` variables (parsed by `src/config/config.ts`). Defaults
 * are the application's own (`DEFAULT_PIPELINE_SETTINGS`), so the deployed stack and the local runtime agree, except
 * the entry TTL: a deployed table is bounded by default.
 */
export interface PipelineTuning {
  /**
   * Byte budget of one chunk message, at most 1 MiB (SQS's limit).
   * @default 262144
   */
  readonly maxChunkBytes?: number;
  /**
   * Lines per chunk at most. 1 reproduces the naive one-message-per-line design, for comparison.
   * @default 5000
   */
  readonly maxChunkLines?: number;
  /**
   * An event (line or multi-line event) longer than this is stored truncated (1 KiB to 350 KiB, under DynamoDB's
   * 400 KB item limit).
   * @default 131072
   */
  readonly maxEventBytes?: number;
  /**
   * Log format of uploaded files, or `auto` to detect it per file.
   * @default 'auto'
   */
  readonly format?: string;
  /**
   * Under `format: 'auto'`, formats decided by the object key before the content is sniffed: `GLOB=FORMAT`
   * rules, first match wins (`['nginx/**=combined', 'apps/**.json=json']`). AWS's own delivery layouts
   * (`AWSLogs/<account>/elasticloadbalancing|CloudTrail|vpcflowlogs/`, CloudFront and S3 access log names) are
   * recognised without rules.
   * @default []
   */
  readonly formatRules?: readonly string[];
  /**
   * Entries expire this many days after they are stored (DynamoDB TTL on `expiresAt`); 0 keeps them forever. The
   * deployed default bounds the table (the local runtime's default, `DEFAULT_PIPELINE_SETTINGS`, keeps them).
   * @default 30
   */
  readonly entryTtlDays?: number;
}

/** Days a deployed stack keeps entries unless `entryTtlDays` says otherwise. */
export const DEPLOYED_ENTRY_TTL_DAYS = 30;

/** {@link PipelineTuning} with every value present and validated. */
export type ResolvedPipelineTuning = Required<PipelineTuning>;

/** Validates the tuning and fills in the application's defaults. Throws {@link InvalidPropsError} on a bad value. */
export function resolvePipelineTuning(construct: string, tuning: PipelineTuning = {}): ResolvedPipelineTuning {
  const resolved: ResolvedPipelineTuning = {
    maxChunkBytes: tuning.maxChunkBytes ?? DEFAULT_PIPELINE_SETTINGS.maxChunkBytes,
    maxChunkLines: tuning.maxChunkLines ?? DEFAULT_PIPELINE_SETTINGS.maxChunkLines,
    maxEventBytes: tuning.maxEventBytes ?? DEFAULT_PIPELINE_SETTINGS.maxEventBytes,
    format: tuning.format ?? DEFAULT_PIPELINE_SETTINGS.format,
    formatRules: tuning.formatRules ?? [],
    entryTtlDays: tuning.entryTtlDays ?? DEPLOYED_ENTRY_TTL_DAYS,
  };
  assertIntegerInRange(construct, 'maxChunkBytes', resolved.maxChunkBytes, 1024, MAX_MESSAGE_BYTES);
  assertIntegerInRange(construct, 'maxChunkLines', resolved.maxChunkLines, 1, 1_000_000);
  assertIntegerInRange(construct, 'maxEventBytes', resolved.maxEventBytes, 1024, 350 * 1024);
  assertIntegerInRange(construct, 'entryTtlDays', resolved.entryTtlDays, 0, 36_500);
  const formats = ['auto', ...FORMAT_NAMES];
  if (!formats.includes(resolved.format)) {
    throw new InvalidPropsError(construct, 'format', `expected one of ${formats.join(', ')}, got "${resolved.format}"`);
  }
  try {
    parseFormatRules(resolved.formatRules);
  } catch (error) {
    throw new InvalidPropsError(construct, 'formatRules', (error as Error).message);
  }
  return resolved;
}

/** The `LOGBATCH_*` variables of the tuning (the resource names and URLs are added by the resources' `connect*`). */
export function pipelineEnvironment(tuning: ResolvedPipelineTuning): Record<string, string> {
  return {
    [CONFIG_VARIABLES.maxChunkBytes]: String(tuning.maxChunkBytes),
    [CONFIG_VARIABLES.maxChunkLines]: String(tuning.maxChunkLines),
    [CONFIG_VARIABLES.maxEventBytes]: String(tuning.maxEventBytes),
    [CONFIG_VARIABLES.format]: tuning.format,
    ...(tuning.formatRules.length > 0 ? { [CONFIG_VARIABLES.formatRules]: tuning.formatRules.join(',') } : {}),
    [CONFIG_VARIABLES.entryTtlDays]: String(tuning.entryTtlDays),
  };
}

/**
 * Which lines the worker keeps (`LOGBATCH_INCLUDE`, `LOGBATCH_EXCLUDE`, `LOGBATCH_MIN_SEVERITY`). `include` and
 * `exclude` match the raw event text (every line of a multi-line event, before parsing); exclude wins over include.
 * `minSeverity` matches the parsed severity, and an entry without one is kept. Dropped lines count as `filtered`.
 */
export interface PipelineFilters {
  /**
   * Regular expressions (JavaScript syntax); when any is given, only events matching one of them are kept.
   * @default [] (every event)
   */
  readonly include?: readonly string[];
  /**
   * Regular expressions; an event matching any of them is dropped, even if it matches `include`.
   * @default [] (none dropped)
   */
  readonly exclude?: readonly string[];
  /**
   * Entries parsed with a lower severity are dropped (`debug`, `info`, `warn`, `error`, ... as the CLI's
   * `--min-severity`).
   * @default - no minimum
   */
  readonly minSeverity?: string;
}

/**
 * Redaction of secrets and personal data before entries reach the table (`LOGBATCH_REDACT`,
 * `LOGBATCH_REDACT_REPLACEMENT`, `LOGBATCH_REDACT_KEY_SECRET_ARN`). See docs/security.md. The uploaded object in the
 * ingest bucket still holds what was redacted: bound it with `ingestObjectExpirationDays`.
 */
export interface PipelineRedaction {
  /**
   * Detector list, as `LOGBATCH_REDACT` / `--redact`: `defaults`, `none`, detector names, `-name` to switch one off,
   * `name=REGEX` custom rules (`'defaults,-jwt,email'`).
   * @default 'defaults'
   */
  readonly detectors?: string;
  /**
   * `mask` writes `[REDACTED:<kind>]`; `hmac` writes a keyed hash of the value (equal values stay joinable), with the
   * key read from `hmacKeySecret` at the worker's cold start.
   * @default 'mask'
   */
  readonly replacement?: 'mask' | 'hmac';
  /**
   * Secrets Manager secret whose string value is the HMAC key; required with `replacement: 'hmac'` (and only then).
   * The worker may `secretsmanager:GetSecretValue` on this secret only; the key never sits in its environment.
   * @default - none
   */
  readonly hmacKeySecret?: ISecret;
}

/** {@link PipelineFilters} with every value present and validated. */
export interface ResolvedPipelineFilters {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly minSeverity?: string;
}

/** {@link PipelineRedaction} validated, with the defaults filled in. */
export interface ResolvedPipelineRedaction {
  readonly detectors: string;
  readonly replacement: 'mask' | 'hmac';
  readonly hmacKeySecret?: ISecret;
}

/** Validates the filters with the application's own compiler. Throws {@link InvalidPropsError} on a bad regex or level. */
export function resolvePipelineFilters(construct: string, filters: PipelineFilters = {}): ResolvedPipelineFilters {
  const resolved: ResolvedPipelineFilters = {
    include: filters.include ?? [],
    exclude: filters.exclude ?? [],
    ...(filters.minSeverity === undefined ? {} : { minSeverity: filters.minSeverity }),
  };
  for (const prop of ['include', 'exclude'] as const) {
    if (!Array.isArray(resolved[prop]) || !resolved[prop].every((each) => typeof each === 'string')) {
      throw new InvalidPropsError(construct, `filters.${prop}`, 'expected an array of regular expressions');
    }
    try {
      compileEventFilter({ include: [], exclude: [], [prop]: resolved[prop] });
    } catch (error) {
      throw new InvalidPropsError(construct, `filters.${prop}`, (error as Error).message);
    }
  }
  if (resolved.minSeverity !== undefined) {
    try {
      compileEventFilter({ include: [], exclude: [], minSeverity: resolved.minSeverity });
    } catch (error) {
      throw new InvalidPropsError(construct, 'filters.minSeverity', (error as Error).message);
    }
  }
  return resolved;
}

/** Validates the redaction with the application's own parser. Throws {@link InvalidPropsError} on a bad list or key set-up. */
export function resolvePipelineRedaction(construct: string, redaction: PipelineRedaction = {}): ResolvedPipelineRedaction {
  const detectors = redaction.detectors ?? DEFAULT_REDACTION.redact;
  const replacement = redaction.replacement ?? DEFAULT_REDACTION.replacement;
  if (replacement !== 'mask' && replacement !== 'hmac') {
    throw new InvalidPropsError(construct, 'redaction.replacement', `expected mask or hmac, got "${String(replacement)}"`);
  }
  if (replacement === 'hmac' && redaction.hmacKeySecret === undefined) {
    throw new InvalidPropsError(construct, 'redaction.hmacKeySecret', "replacement 'hmac' needs the secret holding the key");
  }
  if (replacement !== 'hmac' && redaction.hmacKeySecret !== undefined) {
    throw new InvalidPropsError(construct, 'redaction.hmacKeySecret', "is only read with replacement 'hmac'");
  }
  try {
    // The key is read at cold start; a placeholder stands in for it here, as in loadConfig.
    Redactor.compile({ redact: detectors, replacement, ...(replacement === 'hmac' ? { key: 'placeholder' } : {}) });
  } catch (error) {
    throw new InvalidPropsError(construct, 'redaction.detectors', (error as Error).message);
  }
  return { detectors, replacement, ...(redaction.hmacKeySecret === undefined ? {} : { hmacKeySecret: redaction.hmacKeySecret }) };
}

/** The worker's filter and redaction variables (only those that differ from the application's defaults). */
export function filterRedactionEnvironment(filters: ResolvedPipelineFilters, redaction: ResolvedPipelineRedaction): Record<string, string> {
  return {
    // Always a JSON array: a single pattern starting with "[" would otherwise be read as one.
    ...(filters.include.length > 0 ? { [CONFIG_VARIABLES.include]: JSON.stringify(filters.include) } : {}),
    ...(filters.exclude.length > 0 ? { [CONFIG_VARIABLES.exclude]: JSON.stringify(filters.exclude) } : {}),
    ...(filters.minSeverity === undefined ? {} : { [CONFIG_VARIABLES.minSeverity]: filters.minSeverity }),
    ...(redaction.detectors === DEFAULT_REDACTION.redact ? {} : { [CONFIG_VARIABLES.redact]: redaction.detectors }),
    ...(redaction.replacement === DEFAULT_REDACTION.replacement ? {} : { [CONFIG_VARIABLES.redactReplacement]: redaction.replacement }),
    ...(redaction.hmacKeySecret === undefined ? {} : { [CONFIG_VARIABLES.redactKeySecretArn]: redaction.hmacKeySecret.secretArn }),
  };
}
