import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { type ActionOnResource, type Authorization, authorize, describeStatement, type ResourcePolicy, type RolePolicies } from './iam.js';
import { REHEARSAL_ACCOUNT, REHEARSAL_PARTITION } from './template.js';

/** An AWS API call as it reached the emulators (or was refused on the way). */
export interface RecordedCall {
  /** The function whose credentials signed it. */
  readonly principal: string;
  /** Who made it: the function's code, or Lambda on its behalf (event source mapping, async destination). */
  readonly origin: string;
  readonly service: string;
  /** The API operation, e.g. `SendMessageBatch`. */
  readonly operation: string;
  /** How IAM authorizes it: one or more actions on resources, each decided. */
  readonly authorizations: readonly Authorization[];
  /** HTTP status the caller got (403/400 when the rehearsal refused it as AWS would). */
  status: number;
}

/** Who holds an access key: the rehearsal gives each function (and Lambda acting for it) its own. */
export interface ProxyPrincipal {
  readonly name: string;
  readonly origin: string;
  readonly role: RolePolicies;
}

export interface ParsedCall {
  readonly service: string;
  readonly operation: string;
  readonly actions: readonly ActionOnResource[];
  /** Object key of an S3 request, for throttling and faults. */
  readonly s3Key?: string;
  readonly body: Buffer;
}

/** A response the rehearsal substitutes for the emulator's (fault injection). */
export interface InjectedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RecordingProxyOptions {
  readonly upstreams: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  readonly principals: ReadonlyMap<string, ProxyPrincipal>;
  /** The template's resource policies (known once the resources are provisioned). */
  readonly resourcePolicies: () => readonly ResourcePolicy[];
  /** Shows an ARN the way the template names it (`{"Fn::GetAtt": ["ProcessedLogsTable...", "Arn"]}`). */
  readonly templateTermsOf: (arn: string) => string;
}

/**
 * An HTTP proxy in front of fauxqs and DynamoDB Local that every SDK client of the rehearsed functions talks to
 * (through `AWS_ENDPOINT_URL_<SERVICE>`). It reads the SigV4 credential scope (service, and the access key that
 * names the function), maps the request to the IAM actions and resource ARNs AWS would authorize, decides them
 * against the function's role and the resource's policy from the template, and either forwards the request or
 * answers as AWS does when IAM refuses (`AccessDenied`). Nothing in the bundles is patched.
 */
export class RecordingProxy {
  readonly calls: RecordedCall[] = [];
  /** Substitutes a response for calls the predicate picks (after authorization). */
  fault: ((call: ParsedCall, principal: ProxyPrincipal) => InjectedResponse | undefined) | undefined;
  /** Slows S3 object downloads the predicate picks to this many bytes per second. */
  throttle: ((call: ParsedCall) => number | undefined) | undefined;
  private server: Server | undefined;

  constructor(private readonly options: RecordingProxyOptions) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`rehearsal proxy: ${(error as Error).message}`);
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const scope = /Credential=([^/]+)\/\d+\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(request.headers.authorization ?? ''));
    const principal = scope === null ? undefined : this.options.principals.get(scope[1]);
    if (scope === null || principal === undefined) {
      response.writeHead(403, { 'content-type': 'text/plain' });
      response.end('rehearsal proxy: request not signed by a rehearsed function');
      return;
    }
    const [, , region, service] = scope;
    const parsed = parseCall(service, region, request, body);
    const authorizations = parsed.actions.map((action) =>
      authorize(action, principal.role, this.options.resourcePolicies(), this.options.templateTermsOf),
    );
    const record: RecordedCall = { principal: principal.name, origin: principal.origin, service, operation: parsed.operation, authorizations, status: 0 };
    this.calls.push(record);
    const denied = authorizations.find((authorization) => authorization.decision === 'denied');
    if (denied !== undefined) {
      const refusal = accessDenied(service, request, denied, principal);
      record.status = refusal.status;
      response.writeHead(refusal.status, refusal.headers);
      response.end(request.method === 'HEAD' ? undefined : refusal.body);
      return;
    }
    const injected = this.fault?.(parsed, principal);
    if (injected !== undefined) {
      record.status = injected.status;
      response.writeHead(injected.status, injected.headers);
      response.end(injected.body);
      return;
    }
    const upstream = new URL(this.options.upstreams[service as keyof RecordingProxyOptions['upstreams']] ?? this.options.upstreams.s3);
    const headers = { ...request.headers, host: upstream.host };
    const bytesPerSecond = this.throttle?.(parsed);
    await new Promise<void>((resolve, reject) => {
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers },
        (upstreamResponse) => {
          record.status = upstreamResponse.statusCode ?? 0;
          response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
          pipeResponse(upstreamResponse, response, bytesPerSecond).then(resolve, reject);
        },
      );
      forwarded.on('error', reject);
      // A caller that gives up (the splitter abandoning a throttled download) must not leave the upstream open.
      response.on('close', () => forwarded.destroy());
      forwarded.end(body);
    });
  }
}

async function pipeResponse(source: IncomingMessage, target: ServerResponse, bytesPerSecond: number | undefined): Promise<void> {
  for await (const chunk of source) {
    if (target.destroyed) return;
    const buffer = chunk as Buffer;
    if (bytesPerSecond === undefined) {
      target.write(buffer);
      continue;
    }
    for (let offset = 0; offset < buffer.length && !target.destroyed; offset += 8192) {
      const piece = buffer.subarray(offset, offset + 8192);
      target.write(piece);
      await delay(Math.ceil((piece.length / bytesPerSecond) * 1000));
    }
  }
  target.end();
}

const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** Maps a signed request to its API operation and the (action, resource) pairs IAM authorizes for it. */
export function parseCall(service: string, region: string, request: IncomingMessage, body: Buffer): ParsedCall {
  const target = String(request.headers['x-amz-target'] ?? '');
  const arn = (serviceName: string, rest: string) => `arn:${REHEARSAL_PARTITION}:${serviceName}:${region}:${REHEARSAL_ACCOUNT}:${rest}`;
  if (service === 'dynamodb') {
    const operation = target.split('.')[1] ?? 'Unknown';
    const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const table = (name: unknown) => (String(name).startsWith('arn:') ? String(name) : arn('dynamodb', `table/${String(name)}`));
    const on = (action: string, name: unknown, index?: unknown) => ({
      action: `dynamodb:${action}`,
      resource: index === undefined ? table(name) : `${table(name)}/index/${String(index)}`,
    });
    let actions: ActionOnResource[];
    switch (operation) {
      case 'BatchWriteItem':
      case 'BatchGetItem':
        actions = Object.keys((input.RequestItems ?? {}) as object).map((name) => on(operation, name));
        break;
      case 'TransactWriteItems':
      case 'TransactGetItems':
        actions = ((input.TransactItems ?? []) as Array<Record<string, { TableName: string }>>).map((item) => {
          const [[kind, detail]] = Object.entries(item);
          const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' }[kind] ?? kind;
          return on(action, detail.TableName);
        });
        break;
      case 'ListTables':
        actions = [{ action: 'dynamodb:ListTables', resource: '*' }];
        break;
      default:
        actions = [on(operation, input.TableName, input.IndexName)];
    }
    return { service, operation, actions: dedupe(actions), body };
  }
  if (service === 'sqs') {
    let operation: string;
    let input: Record<string, unknown>;
    if (target.startsWith('AmazonSQS.')) {
      operation = target.slice('AmazonSQS.'.length);
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } else {
      const form = new URLSearchParams(body.toString('utf8'));
      operation = form.get('Action') ?? 'Unknown';
      input = Object.fromEntries(form);
    }
    const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
    let resource = '*';
    if (typeof input.QueueUrl === 'string') {
      const [account, name] = new URL(input.QueueUrl).pathname.split('/').filter(Boolean);
      resource = arn('sqs', name).replace(`:${REHEARSAL_ACCOUNT}:`, `:${account}:`);
    } else if (typeof input.QueueName === 'string') {
      resource = arn('sqs', input.QueueName);
    }
    return { service, operation, actions: [{ action, resource }], body };
  }
  return parseS3Call(service, request, body);
}

function parseS3Call(service: string, request: IncomingMessage, body: Buffer): ParsedCall {
  const url = new URL(request.url ?? '/', 'http://proxy');
  const [bucket, ...keyParts] = url.pathname.slice(1).split('/');
  const key = keyParts.length === 0 ? undefined : decodeURIComponent(keyParts.join('/'));
  const query = url.searchParams;
  const method = request.method ?? 'GET';
  const bucketArn = `arn:${REHEARSAL_PARTITION}:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key ?? ''}`;
  const call = (operation: string, ...actions: ActionOnResource[]): ParsedCall => ({ service, operation, actions, body, ...(key === undefined ? {} : { s3Key: key }) });
  if (key === undefined || key === '') {
    if (method === 'HEAD') return call('HeadBucket', { action: 's3:ListBucket', resource: bucketArn });
    if (method === 'GET' && query.has('versions')) return call('ListObjectVersions', { action: 's3:ListBucketVersions', resource: bucketArn });
    if (method === 'GET' && query.has('uploads')) return call('ListMultipartUploads', { action: 's3:ListBucketMultipartUploads', resource: bucketArn });
    if (method === 'GET' && query.has('location')) return call('GetBucketLocation', { action: 's3:GetBucketLocation', resource: bucketArn });
    if (method === 'GET') return call(query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', { action: 's3:ListBucket', resource: bucketArn });
    if (method === 'POST' && query.has('delete')) {
      const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]);
      return call('DeleteObjects', ...keys.map((deleted) => ({ action: 's3:DeleteObject', resource: `${bucketArn}/${deleted}` })));
    }
    return call(`${method} bucket ?${query}`, { action: `s3:Unmapped(${method} bucket ?${query})`, resource: bucketArn });
  }
  const versioned = query.has('versionId');
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (query.has('uploadId')) return call('ListParts', { action: 's3:ListMultipartUploadParts', resource: objectArn });
      if (query.has('tagging')) return call('GetObjectTagging', { action: versioned ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging', resource: objectArn });
      return call(method === 'GET' ? 'GetObject' : 'HeadObject', { action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn });
    case 'PUT': {
      const copySource = request.headers['x-amz-copy-source'];
      if (typeof copySource === 'string') {
        const source = decodeURIComponent(copySource.replace(/^\//, '').split('?')[0]);
        return call('CopyObject', { action: 's3:PutObject', resource: objectArn }, { action: 's3:GetObject', resource: `arn:${REHEARSAL_PARTITION}:s3:::${source}` });
      }
      if (query.has('tagging')) return call('PutObjectTagging', { action: 's3:PutObjectTagging', resource: objectArn });
      return call(query.has('uploadId') ? 'UploadPart' : 'PutObject', { action: 's3:PutObject', resource: objectArn });
    }
    case 'POST':
      if (query.has('uploads')) return call('CreateMultipartUpload', { action: 's3:PutObject', resource: objectArn });
      if (query.has('uploadId')) return call('CompleteMultipartUpload', { action: 's3:PutObject', resource: objectArn });
      break;
    case 'DELETE':
      if (query.has('uploadId')) return call('AbortMultipartUpload', { action: 's3:AbortMultipartUpload', resource: objectArn });
      return call('DeleteObject', { action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: objectArn });
    default:
      break;
  }
  // Never silently passed: an unmapped request is an action no policy grants, so the rehearsal names it.
  return call(`${method} object ?${query}`, { action: `s3:Unmapped(${method} object ?${query})`, resource: objectArn });
}

function dedupe(actions: ActionOnResource[]): ActionOnResource[] {
  const seen = new Set<string>();
  return actions.filter((action) => {
    const key = `${action.action} ${action.resource}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The refusal AWS sends for an unauthorized call, in the service's protocol, so the SDK raises what it would in AWS. */
function accessDenied(service: string, request: IncomingMessage, denied: Authorization, principal: ProxyPrincipal): InjectedResponse {
  const roleName = principal.role.roleArn.split('/').at(-1);
  const because =
    denied.deniedBy === undefined
      ? `because no identity-based policy allows the ${denied.action} action`
      : `with an explicit deny in ${denied.deniedBy.kind === 'resource' ? 'a resource-based' : 'an identity-based'} policy (${describeStatement(denied.deniedBy)})`;
  const message = `User: arn:aws:sts::${REHEARSAL_ACCOUNT}:assumed-role/${roleName}/${principal.name} is not authorized to perform: ${denied.action} on resource: ${denied.resource} ${because}`;
  if (service === 'dynamodb') {
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }),
    };
  }
  if (service === 'sqs') {
    if (String(request.headers['x-amz-target'] ?? '').startsWith('AmazonSQS.')) {
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AccessDenied;Sender' },
        body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }),
      };
    }
    return {
      status: 403,
      headers: { 'content-type': 'text/xml' },
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error></ErrorResponse>`,
    };
  }
  return { status: 403, headers: { 'content-type': 'application/xml' }, body: `<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error>` };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
