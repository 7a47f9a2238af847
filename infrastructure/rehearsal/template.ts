import { randomUUID } from 'node:crypto';

/** A CloudFormation template as `cdk synth` writes it (only what the rehearsal reads is typed). */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { Value: unknown }>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** The emulated account: fauxqs names its queues in this account and region, so the ARNs agree. */
export const REHEARSAL_ACCOUNT = '000000000000';
export const REHEARSAL_REGION = 'us-east-1';
export const REHEARSAL_PARTITION = 'aws';

/** Raised when the template uses something the rehearsal cannot resolve offline (named, never guessed). */
export class UnresolvableTemplateError extends Error {
  override readonly name = 'UnresolvableTemplateError';
}

/** What CloudFormation would know about a created resource: its physical id (`Ref`) and attributes (`Fn::GetAtt`). */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Record<string, string>;
}

/**
 * Physical names and attributes of the template's resources as this rehearsal "deploys" them, and an evaluator of
 * the intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, `Fn::If`) over
 * them. Names follow CloudFormation's pattern (`<stack>-<logical id>-<suffix>`), unique to the run so several
 * rehearsals share one set of emulators; a name the template declares (`BucketName`, `QueueName`, ...) is kept.
 */
export class TemplateResolver {
  readonly stackId: string;
  private readonly physical = new Map<string, PhysicalResource>();

  constructor(
    readonly template: CfnTemplate,
    readonly stackName: string,
    private readonly runSuffix: string,
  ) {
    this.stackId = `arn:${REHEARSAL_PARTITION}:cloudformation:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:stack/${stackName}/${randomUUID()}`;
  }

  resourcesOfType(type: string): Array<[string, CfnResource]> {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) throw new UnresolvableTemplateError(`the template has no resource ${logicalId}`);
    return resource;
  }

  /** Physical id and attributes of a resource (created on first use, as CloudFormation names it). */
  physicalResource(logicalId: string): PhysicalResource {
    let known = this.physical.get(logicalId);
    if (known === undefined) {
      known = this.describe(logicalId);
      this.physical.set(logicalId, known);
    }
    return known;
  }

  /** Overrides what was derived, with what an emulator reports (a queue's URL as fauxqs returns it). */
  setPhysicalResource(logicalId: string, physical: PhysicalResource): void {
    this.physical.set(logicalId, physical);
  }

  /** The logical id whose `Ref` or an attribute is `value` (to show a resource in template terms). */
  logicalIdOf(value: string): string | undefined {
    for (const [logicalId, physical] of this.physical) {
      if (physical.ref === value || Object.values(physical.attributes).includes(value)) return logicalId;
    }
    return undefined;
  }

  /** Evaluates every intrinsic function in `value`. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [[name, argument]] = entries;
      switch (name) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split(/\.(.*)/s);
          return this.getAtt(logicalId, this.resolveString(attribute));
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, unknown];
          const resolvedParts = this.resolve(parts);
          if (!Array.isArray(resolvedParts)) throw new UnresolvableTemplateError(`Fn::Join over ${JSON.stringify(parts)}`);
          return resolvedParts.map((part) => this.asString(part)).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [unknown, unknown];
          const resolvedList = this.resolve(list);
          const at = Number(this.resolve(index));
          if (!Array.isArray(resolvedList) || resolvedList[at] === undefined) {
            throw new UnresolvableTemplateError(`Fn::Select ${at} of ${JSON.stringify(resolvedList)}`);
          }
          return resolvedList[at];
        }
        case 'Fn::Split': {
          const [separator, source] = argument as [string, unknown];
          return this.resolveString(source).split(separator);
        }
        case 'Fn::Sub':
          return this.sub(argument);
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
          return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
        }
        case 'Fn::Base64':
          return Buffer.from(this.resolveString(argument)).toString('base64');
        case 'Fn::ImportValue':
        case 'Fn::GetAZs':
        case 'Fn::FindInMap':
          throw new UnresolvableTemplateError(`${name} is not resolvable offline (${JSON.stringify(argument)})`);
        default:
          break;
      }
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  resolveString(value: unknown): string {
    return this.asString(this.resolve(value));
  }

  /** Whether the resource is created (its `Condition`, if any, holds). */
  isCreated(logicalId: string): boolean {
    const condition = this.template.Resources[logicalId]?.Condition;
    return condition === undefined || this.condition(condition);
  }

  private condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new UnresolvableTemplateError(`unknown condition ${name}`);
    return this.evaluateCondition(definition);
  }

  private evaluateCondition(definition: unknown): boolean {
    const [[name, argument]] = Object.entries(definition as Record<string, unknown>);
    const items = argument as unknown[];
    switch (name) {
      case 'Fn::Equals':
        return JSON.stringify(this.resolve(items[0])) === JSON.stringify(this.resolve(items[1]));
      case 'Fn::Not':
        return !this.evaluateCondition(items[0]);
      case 'Fn::And':
        return items.every((item) => this.evaluateCondition(item));
      case 'Fn::Or':
        return items.some((item) => this.evaluateCondition(item));
      case 'Condition':
        return this.condition(String(argument));
      default:
        throw new UnresolvableTemplateError(`condition function ${name}`);
    }
  }

  private asString(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new UnresolvableTemplateError(`expected a string, got ${JSON.stringify(value)}`);
  }

  private sub(argument: unknown): string {
    const [text, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [String(argument), {}];
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in variables) return this.resolveString(variables[name]);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [logicalId, attribute] = name.split(/\.(.*)/s);
        return this.getAtt(logicalId, attribute);
      }
      return this.ref(name);
    });
  }

  private ref(name: string): string {
    switch (name) {
      case 'AWS::AccountId':
        return REHEARSAL_ACCOUNT;
      case 'AWS::Region':
        return REHEARSAL_REGION;
      case 'AWS::Partition':
        return REHEARSAL_PARTITION;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return this.stackId;
      case 'AWS::NoValue':
        throw new UnresolvableTemplateError('AWS::NoValue outside Fn::If');
      default:
        break;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      if (parameter.Default === undefined) throw new UnresolvableTemplateError(`parameter ${name} has no default`);
      return String(parameter.Default);
    }
    return this.physicalResource(name).ref;
  }

  private getAtt(logicalId: string, attribute: string): string {
    const value = this.physicalResource(logicalId).attributes[attribute];
    if (value === undefined) {
      throw new UnresolvableTemplateError(`Fn::GetAtt ${logicalId}.${attribute} (${this.resource(logicalId).Type}) is not known to the rehearsal`);
    }
    return value;
  }

  /** A name like CloudFormation's: the stack name, the logical id (shortened), a suffix unique to this run. */
  private generatedName(logicalId: string, maxLength: number, lowercase = false): string {
    const suffix = this.runSuffix;
    const room = Math.max(8, maxLength - suffix.length - 2 - Math.min(this.stackName.length, 20));
    const name = `${this.stackName.slice(0, 20)}-${logicalId.slice(0, room)}-${suffix}`;
    return lowercase ? name.toLowerCase() : name;
  }

  private describe(logicalId: string): PhysicalResource {
    const resource = this.resource(logicalId);
    const properties = resource.Properties ?? {};
    const arn = (service: string, rest: string, region = REHEARSAL_REGION, account = REHEARSAL_ACCOUNT) =>
      `arn:${REHEARSAL_PARTITION}:${service}:${region}:${account}:${rest}`;
    const declared = (property: string) => (properties[property] === undefined ? undefined : this.resolveString(properties[property]));
    switch (resource.Type) {
      case 'AWS::S3::Bucket': {
        const name = declared('BucketName') ?? this.generatedName(logicalId, 63, true);
        return {
          ref: name,
          attributes: {
            Arn: `arn:${REHEARSAL_PARTITION}:s3:::${name}`,
            DomainName: `${name}.s3.amazonaws.com`,
            RegionalDomainName: `${name}.s3.${REHEARSAL_REGION}.amazonaws.com`,
          },
        };
      }
      case 'AWS::SQS::Queue': {
        const name = declared('QueueName') ?? this.generatedName(logicalId, 80);
        // fauxqs's URL shape; provisioning replaces it with the URL fauxqs returns.
        return {
          ref: `http://sqs.${REHEARSAL_REGION}.localhost/${REHEARSAL_ACCOUNT}/${name}`,
          attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: `http://sqs.${REHEARSAL_REGION}.localhost/${REHEARSAL_ACCOUNT}/${name}` },
        };
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = declared('TableName') ?? this.generatedName(logicalId, 255);
        return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/rehearsal`) } };
      }
      case 'AWS::Lambda::Function': {
        const name = declared('FunctionName') ?? this.generatedName(logicalId, 64);
        return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
      }
      case 'AWS::IAM::Role': {
        const name = declared('RoleName') ?? this.generatedName(logicalId, 64);
        const path = declared('Path') ?? '/';
        return { ref: name, attributes: { Arn: `arn:${REHEARSAL_PARTITION}:iam::${REHEARSAL_ACCOUNT}:role${path}${name}`, RoleId: `AROA${logicalId.slice(0, 16).toUpperCase()}` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = declared('LogGroupName') ?? this.generatedName(logicalId, 512);
        return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
      }
      case 'AWS::Events::Rule': {
        const name = declared('Name') ?? this.generatedName(logicalId, 64);
        return { ref: name, attributes: { Arn: arn('events', `rule/${name}`) } };
      }
      case 'AWS::SNS::Topic': {
        const name = declared('TopicName') ?? this.generatedName(logicalId, 256);
        const topicArn = arn('sns', name);
        return { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
      }
      default:
        // Anything else is never a function's resource; a Ref to it still gets a stable physical id.
        return { ref: this.generatedName(logicalId, 128), attributes: {} };
    }
  }
}
