import { REHEARSAL_ACCOUNT, type TemplateResolver } from './template.js';

/** One IAM action on one resource ARN, as IAM authorizes it (a `TransactWriteItems` is several of these). */
export interface ActionOnResource {
  readonly action: string;
  readonly resource: string;
}

/** Where a statement comes from: the policy resource (or role) and its index, for the report. */
export interface StatementSource {
  readonly policy: string;
  readonly index: number;
  readonly sid?: string;
  readonly kind: 'identity' | 'resource';
}

export interface ResolvedStatement {
  readonly source: StatementSource;
  readonly effect: 'Allow' | 'Deny';
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly principal?: unknown;
  readonly notPrincipal?: unknown;
  readonly condition?: Record<string, Record<string, unknown>>;
}

export type Decision = 'allowed' | 'denied' | 'conditional';

export interface Authorization extends ActionOnResource {
  readonly decision: Decision;
  /** The statement that allows the call (the first that matches). */
  readonly allowedBy?: StatementSource;
  /** The statement that denies the call explicitly. */
  readonly deniedBy?: StatementSource;
  /** Conditions the rehearsal cannot evaluate, on statements that decide the call. */
  readonly unevaluatedConditions: readonly string[];
  /** For a denied call: the statement that would allow it, in template terms. */
  readonly wouldBeAllowedBy?: string;
}

/** What the rehearsal knows about the request context of a call made with a function's role. */
function requestContext(roleArn: string): Record<string, string> {
  return {
    // The SDK in Lambda calls AWS over TLS (the rehearsal's emulators are plain HTTP, which Lambda never uses).
    'aws:securetransport': 'true',
    'aws:principalarn': roleArn,
    'aws:principalaccount': REHEARSAL_ACCOUNT,
    'aws:principaltype': 'AssumedRole',
    'aws:requestedregion': 'us-east-1',
  };
}

/** IAM's wildcard match: `*` any run of characters (`:` and `/` included), `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, ignoreCase ? 'is' : 's').test(value);
}

const list = (value: unknown): string[] | undefined => (value === undefined ? undefined : Array.isArray(value) ? value.map(String) : [String(value)]);

function resolveStatements(resolver: TemplateResolver, document: unknown, source: Omit<StatementSource, 'index' | 'sid'>): ResolvedStatement[] {
  const statements = (document as { Statement?: unknown }).Statement;
  const items = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  return items.map((raw, index) => {
    const statement = resolver.resolve(raw) as Record<string, unknown>;
    return {
      source: { ...source, index, ...(typeof statement.Sid === 'string' ? { sid: statement.Sid } : {}) },
      effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
      actions: list(statement.Action),
      notActions: list(statement.NotAction),
      resources: list(statement.Resource),
      notResources: list(statement.NotResource),
      principal: statement.Principal,
      notPrincipal: statement.NotPrincipal,
      condition: statement.Condition as ResolvedStatement['condition'],
    };
  });
}

/** The policies that apply to calls made with one role, read from the template. */
export interface RolePolicies {
  readonly roleLogicalId: string;
  readonly roleArn: string;
  readonly identity: readonly ResolvedStatement[];
  /** Parts of the role's permissions the rehearsal cannot evaluate (managed policies, boundaries). */
  readonly unevaluated: readonly string[];
}

/** A resource policy (queue, bucket, topic policy) and the ARNs it is attached to. */
export interface ResourcePolicy {
  readonly attachedTo: readonly string[];
  readonly statements: readonly ResolvedStatement[];
}

export function rolePolicies(resolver: TemplateResolver, roleLogicalId: string): RolePolicies {
  const role = resolver.resource(roleLogicalId);
  const roleArn = resolver.resolveString({ 'Fn::GetAtt': [roleLogicalId, 'Arn'] });
  const roleName = resolver.resolveString({ Ref: roleLogicalId });
  const identity: ResolvedStatement[] = [];
  const unevaluated: string[] = [];
  const inline = (role.Properties?.Policies ?? []) as Array<{ PolicyName: unknown; PolicyDocument: unknown }>;
  for (const policy of inline) {
    identity.push(...resolveStatements(resolver, policy.PolicyDocument, { policy: `${roleLogicalId} (inline ${resolver.resolveString(policy.PolicyName)})`, kind: 'identity' }));
  }
  for (const [logicalId, resource] of Object.entries(resolver.template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    if (!resolver.isCreated(logicalId)) continue;
    const roles = (resolver.resolve(resource.Properties?.Roles ?? []) as unknown[]).map(String);
    if (!roles.includes(roleName)) continue;
    identity.push(...resolveStatements(resolver, resource.Properties?.PolicyDocument, { policy: logicalId, kind: 'identity' }));
  }
  for (const managed of (resolver.resolve(role.Properties?.ManagedPolicyArns ?? []) as unknown[]).map(String)) {
    unevaluated.push(`managed policy ${managed} (its statements are not in the template)`);
  }
  if (role.Properties?.PermissionsBoundary !== undefined) {
    unevaluated.push(`permissions boundary ${JSON.stringify(resolver.resolve(role.Properties.PermissionsBoundary))}`);
  }
  return { roleLogicalId, roleArn, identity, unevaluated };
}

/** The template's resource policies; one that cannot be resolved offline is reported through `unresolved`. */
export function resourcePolicies(resolver: TemplateResolver, unresolved: (logicalId: string, reason: string) => void): ResourcePolicy[] {
  const policies: ResourcePolicy[] = [];
  const arnOf = (physicalId: string, attribute: string): string | undefined => {
    const logicalId = resolver.logicalIdOf(physicalId);
    return logicalId === undefined ? undefined : resolver.physicalResource(logicalId).attributes[attribute];
  };
  for (const [logicalId, resource] of Object.entries(resolver.template.Resources)) {
    if (!resolver.isCreated(logicalId)) continue;
    const properties = resource.Properties ?? {};
    let attachedTo: string[] = [];
    try {
    if (resource.Type === 'AWS::SQS::QueuePolicy') {
      attachedTo = (resolver.resolve(properties.Queues) as string[]).map((url) => arnOf(url, 'Arn')).filter((arn): arn is string => arn !== undefined);
    } else if (resource.Type === 'AWS::S3::BucketPolicy') {
      const bucketArn = `arn:aws:s3:::${resolver.resolveString(properties.Bucket)}`;
      attachedTo = [bucketArn, `${bucketArn}/*`];
    } else if (resource.Type === 'AWS::SNS::TopicPolicy') {
      attachedTo = (resolver.resolve(properties.Topics) as string[]).map(String);
    } else {
      continue;
    }
    policies.push({ attachedTo, statements: resolveStatements(resolver, properties.PolicyDocument, { policy: logicalId, kind: 'resource' }) });
    } catch (error) {
      unresolved(logicalId, (error as Error).message);
    }
  }
  return policies;
}

type Match = { readonly kind: 'match' } | { readonly kind: 'no' } | { readonly kind: 'conditional'; readonly conditions: string[] };

function principalMatches(principal: unknown, roleArn: string): boolean {
  if (principal === '*') return true;
  if (principal === undefined || principal === null || typeof principal !== 'object') return false;
  const aws = list((principal as { AWS?: unknown }).AWS) ?? [];
  return aws.some((value) => value === '*' || value === roleArn || value === REHEARSAL_ACCOUNT || value === `arn:aws:iam::${REHEARSAL_ACCOUNT}:root`);
}

/** Evaluates a condition block; keys the rehearsal does not know make the statement conditional (listed, not guessed). */
function evaluateCondition(condition: ResolvedStatement['condition'], context: Record<string, string>): Match {
  if (condition === undefined) return { kind: 'match' };
  const unknown: string[] = [];
  for (const [rawOperator, keys] of Object.entries(condition)) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    for (const [rawKey, rawValues] of Object.entries(keys)) {
      const key = rawKey.toLowerCase();
      const expected = list(rawValues) ?? [];
      const describe = `${rawOperator} ${rawKey} ${JSON.stringify(rawValues)}`;
      const actual = context[key];
      if (operator.startsWith('ForAnyValue:') || operator.startsWith('ForAllValues:') || !(key in context)) {
        unknown.push(describe);
        continue;
      }
      let holds: boolean;
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
          holds = expected.includes(actual);
          break;
        case 'StringNotEquals':
        case 'ArnNotEquals':
          holds = !expected.includes(actual);
          break;
        case 'StringEqualsIgnoreCase':
          holds = expected.some((value) => value.toLowerCase() === actual.toLowerCase());
          break;
        case 'StringLike':
        case 'ArnLike':
          holds = expected.some((value) => wildcardMatch(value, actual));
          break;
        case 'StringNotLike':
        case 'ArnNotLike':
          holds = !expected.some((value) => wildcardMatch(value, actual));
          break;
        case 'Bool':
          holds = expected.some((value) => value.toLowerCase() === actual.toLowerCase());
          break;
        default:
          unknown.push(describe);
          continue;
      }
      if (!holds) return { kind: 'no' };
    }
  }
  return unknown.length === 0 ? { kind: 'match' } : { kind: 'conditional', conditions: unknown };
}

function statementMatches(statement: ResolvedStatement, call: ActionOnResource, roleArn: string, context: Record<string, string>): Match {
  if (statement.source.kind === 'resource') {
    if (statement.principal !== undefined && !principalMatches(statement.principal, roleArn)) return { kind: 'no' };
    if (statement.notPrincipal !== undefined && principalMatches(statement.notPrincipal, roleArn)) return { kind: 'no' };
  }
  const actionMatches = (patterns: readonly string[]) => patterns.some((pattern) => wildcardMatch(pattern, call.action, true));
  if (statement.actions !== undefined && !actionMatches(statement.actions)) return { kind: 'no' };
  if (statement.notActions !== undefined && actionMatches(statement.notActions)) return { kind: 'no' };
  const resourceMatches = (patterns: readonly string[]) => patterns.some((pattern) => wildcardMatch(pattern, call.resource));
  if (statement.resources !== undefined && !resourceMatches(statement.resources)) return { kind: 'no' };
  if (statement.notResources !== undefined && resourceMatches(statement.notResources)) return { kind: 'no' };
  return evaluateCondition(statement.condition, context);
}

export function describeStatement(source: StatementSource): string {
  return `${source.policy} statement #${source.index}${source.sid === undefined ? '' : ` (${source.sid})`}`;
}

/**
 * Decides one call as IAM would for a principal and a resource in the same account: an explicit Deny in the
 * role's policies or the resource's policy wins; otherwise an Allow in the role's policies is needed.
 */
export function authorize(
  call: ActionOnResource,
  role: RolePolicies,
  resources: readonly ResourcePolicy[],
  templateTermsOf: (arn: string) => string,
): Authorization {
  const context = requestContext(role.roleArn);
  const applicableResourceStatements = resources
    .filter((policy) => policy.attachedTo.some((arn) => arn === call.resource || (arn.endsWith('/*') && call.resource.startsWith(arn.slice(0, -1)))))
    .flatMap((policy) => policy.statements);
  const statements = [...role.identity, ...applicableResourceStatements];
  const unevaluatedConditions: string[] = [];
  for (const statement of statements.filter((candidate) => candidate.effect === 'Deny')) {
    const match = statementMatches(statement, call, role.roleArn, context);
    if (match.kind === 'match') return { ...call, decision: 'denied', deniedBy: statement.source, unevaluatedConditions };
    if (match.kind === 'conditional') unevaluatedConditions.push(...match.conditions.map((text) => `Deny if ${text} (${describeStatement(statement.source)})`));
  }
  let conditionalAllow: StatementSource | undefined;
  for (const statement of role.identity.filter((candidate) => candidate.effect === 'Allow')) {
    const match = statementMatches(statement, call, role.roleArn, context);
    if (match.kind === 'match') {
      return { ...call, decision: unevaluatedConditions.length === 0 ? 'allowed' : 'conditional', allowedBy: statement.source, unevaluatedConditions };
    }
    if (match.kind === 'conditional') {
      conditionalAllow ??= statement.source;
      unevaluatedConditions.push(...match.conditions.map((text) => `Allow only if ${text} (${describeStatement(statement.source)})`));
    }
  }
  if (conditionalAllow !== undefined) return { ...call, decision: 'conditional', allowedBy: conditionalAllow, unevaluatedConditions };
  return {
    ...call,
    decision: 'denied',
    unevaluatedConditions,
    wouldBeAllowedBy: `{ "Effect": "Allow", "Action": "${call.action}", "Resource": ${templateTermsOf(call.resource)} } in a policy of ${role.roleLogicalId}`,
  };
}

/** One grant of a role (an action pattern on a resource pattern) and whether any rehearsed call used it. */
export interface Grant {
  readonly source: StatementSource;
  readonly action: string;
  readonly resource: string;
  readonly used: boolean;
}

/** Every Allow (action × resource) of the role, marked used when an allowed call matched it: the least-privilege report. */
export function grantsOf(role: RolePolicies, allowed: readonly ActionOnResource[]): Grant[] {
  const grants: Grant[] = [];
  for (const statement of role.identity) {
    if (statement.effect !== 'Allow' || statement.actions === undefined) continue;
    for (const action of statement.actions) {
      for (const resource of statement.resources ?? ['*']) {
        const used = allowed.some((call) => wildcardMatch(action, call.action, true) && wildcardMatch(resource, call.resource));
        grants.push({ source: statement.source, action, resource, used });
      }
    }
  }
  return grants;
}

/**
 * Decides whether an AWS service (`s3.amazonaws.com` sending a notification, `events.amazonaws.com` delivering to a
 * rule's target) may make `call` on a resource of the template: only the resource's own policy can allow a service
 * principal. `sourceArn` is the bucket or rule the service acts for (`aws:SourceArn`); the account is the
 * rehearsal's. Returns true, or why not.
 */
export function serviceMay(service: string, call: ActionOnResource, resources: readonly ResourcePolicy[], sourceArn: string): true | string {
  const context = { 'aws:sourcearn': sourceArn, 'aws:sourceaccount': REHEARSAL_ACCOUNT, 'aws:securetransport': 'true' };
  const statements = resources.filter((policy) => policy.attachedTo.includes(call.resource)).flatMap((policy) => policy.statements);
  const forService = (principal: unknown) => principal === '*' || (list((principal as { Service?: unknown } | undefined)?.Service) ?? []).includes(service);
  const applies = (statement: ResolvedStatement): Match => {
    if (!forService(statement.principal)) return { kind: 'no' };
    if (statement.actions !== undefined && !statement.actions.some((pattern) => wildcardMatch(pattern, call.action, true))) return { kind: 'no' };
    if (statement.resources !== undefined && !statement.resources.some((pattern) => wildcardMatch(pattern, call.resource))) return { kind: 'no' };
    return evaluateCondition(statement.condition, context);
  };
  const denied = statements.find((statement) => statement.effect === 'Deny' && applies(statement).kind === 'match');
  if (denied !== undefined) return `${service} may not ${call.action} on ${call.resource}: denied by ${describeStatement(denied.source)}`;
  if (statements.some((statement) => statement.effect === 'Allow' && applies(statement).kind === 'match')) return true;
  return `${service} may not ${call.action} on ${call.resource} for ${sourceArn}: no statement of its resource policy allows it`;
}
