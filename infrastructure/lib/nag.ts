import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Stack } from 'aws-cdk-lib';
// cdk-nag names an IAM5 finding after the flattened resource (`Resource::arn:<AWS::Partition>:s3:::...`); using its
// own flattener keeps the acknowledgement exact instead of re-implementing the format.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

/**
 * Acknowledges one cdk-nag rule on a construct and everything below it, with the reason recorded in code (cdk-nag 3
 * reads CDK's `Validations` acknowledgements; `NagSuppressions` no longer exists).
 */
export function acknowledgeNagRule(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges the `AwsSolutions-IAM5` finding for exactly one wildcard resource ARN granted to `principal` (for
 * example the objects under a key prefix), leaving any other wildcard on the same role reported.
 */
export function acknowledgeWildcardResource(principal: IConstruct, resourceArn: string, reason: string): void {
  const flattened = flattenCfnReference(Stack.of(principal).resolve(resourceArn));
  acknowledgeNagRule(principal, `AwsSolutions-IAM5[Resource::${flattened}]`, reason);
}
