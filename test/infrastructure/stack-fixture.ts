import { readFileSync } from 'node:fs';
import { Annotations, App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { expect } from 'chai';
import { LogPipelineStack, type LogPipelineStackProps } from '../../infrastructure/lib/log-pipeline-stack.js';

/** The feature flags `cdk synth` runs with (cdk.json → context), so tests synthesize what the CLI synthesizes. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/** Stand-in handler code: tests that only read the template skip esbuild (one test file bundles the real handlers). */
export function inlineHandlers(): NonNullable<LogPipelineStackProps['handlerCodeForTests']> {
  return {
    splitter: Code.fromInline('exports.handler = async () => ({ outcomes: [] });'),
    worker: Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  };
}

/** The synthesis warning of a stack whose alarm topic has no subscriber. */
export const NO_ALARM_SUBSCRIBER_WARNING = 'logbatch:alarm-topic-without-subscriber';

/**
 * A stack in a fresh app with the project's context, using stand-in handler code unless `bundle` is set. The
 * no-subscriber warning is acknowledged (it would print at every synthesis) unless `warnings` is set.
 */
export function createStack(props: LogPipelineStackProps = {}, options: { bundle?: boolean; warnings?: boolean } = {}): LogPipelineStack {
  const app = new App({ context: cdkJsonContext() });
  const stack = new LogPipelineStack(app, 'LogBatchTest', {
    ...props,
    handlerCodeForTests: options.bundle === true ? undefined : (props.handlerCodeForTests ?? inlineHandlers()),
  });
  if (options.warnings !== true) Annotations.of(stack).acknowledgeWarning(NO_ALARM_SUBSCRIBER_WARNING, 'test stacks subscribe nobody');
  return stack;
}

/** A resource of a synthesized template, as the template tests read it. */
export type TemplateResource = { Type: string; Properties?: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string };

/** The template's resources of one type, with their logical ids. */
export function resourcesOfType(template: Template, type: string): Array<[string, TemplateResource]> {
  return Object.entries(template.toJSON().Resources as Record<string, TemplateResource>).filter(([, resource]) => resource.Type === type);
}

/** The logical id of the one resource of a type whose id starts with a prefix (fails unless there is exactly one). */
export function onlyLogicalId(template: Template, type: string, idPrefix: string): string {
  const ids = resourcesOfType(template, type)
    .map(([id]) => id)
    .filter((id) => id.startsWith(idPrefix));
  expect(ids, `${type} ${idPrefix}*`).to.have.length(1);
  return ids[0]!;
}
