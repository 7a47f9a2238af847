import { DEFAULT_PIPELINE_SETTINGS } from '../../src/application/pipeline-settings.js';
import { CONFIG_VARIABLES } from '../../src/config/config.js';
import { MAX_MESSAGE_BYTES } from '../../src/domain/chunk.js';
import { FORMAT_NAMES } from '../../src/domain/parsing/formats.js';
import { parseFormatRules } from '../../src/domain/parsing/key-rules.js';
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
