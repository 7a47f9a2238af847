import { expect } from 'chai';
import { parseAlbLine } from '../../../src/domain/parsing/alb.parser.js';
import { cloudTrailRecords, looksLikeCloudTrail } from '../../../src/domain/parsing/cloudtrail.js';
import { parseCloudTrailLine } from '../../../src/domain/parsing/cloudtrail.parser.js';
import { parseCloudFrontLine } from '../../../src/domain/parsing/cloudfront.parser.js';
import { detectFormat } from '../../../src/domain/parsing/formats.js';
import { parseS3AccessLine } from '../../../src/domain/parsing/s3access.parser.js';
import { isVpcFlowHeader, parseVpcFlowLine } from '../../../src/domain/parsing/vpcflow.parser.js';

const context = { observedAt: new Date('2024-06-01T00:00:00Z') };

describe('parseAlbLine', () => {
  const line =
    'h2 2024-05-01T10:00:00.123456Z app/lb/abc 198.51.100.7:5000 10.0.1.5:8080 0.001 0.250 0.000 502 - 120 300 ' +
    '"POST https://api.example.com:443/v1/orders?dry=1 HTTP/2.0" "okhttp/4" TLS_AES_128_GCM_SHA256 TLSv1.3 ' +
    'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/tg/1 "Root=1-abc" "api.example.com" "-" 10 ' +
    '2024-05-01T09:59:59.800000Z "forward" "-" "Target.ResponseCodeMismatch" "10.0.1.5:8080" "-" "-" "-" TID_1 "-" "-" "-" "new-field"';

  it('maps an ALB line and keeps fields AWS added later in aws.elb.extra_fields', () => {
    const result = parseAlbLine(line, context);

    if (!result.ok) expect.fail(result.error);
    expect(result.record.timestamp).to.equal('2024-05-01T10:00:00.123Z');
    expect(result.record.severityText).to.equal('ERROR');
    expect(result.record.attributes).to.include({
      'aws.elb.type': 'h2',
      'client.address': '198.51.100.7',
      'aws.elb.target.port': 8080,
      'http.response.status_code': 502,
      'url.query': 'dry=1',
      'url.path': '/v1/orders',
      'aws.elb.error_reason': 'Target.ResponseCodeMismatch',
      'aws.elb.request_creation_time': '2024-05-01T09:59:59.800Z',
    });
    expect(result.record.attributes).to.not.have.key('aws.elb.target.status_code');
    expect(result.record.attributes['aws.elb.extra_fields']).to.deep.equal(['new-field']);
  });

  it('rejects a non-number where a duration belongs', () => {
    const result = parseAlbLine(line.replace('0.250', 'slow'), context);

    expect(!result.ok && result.error).to.match(/field 7 should be a number/);
  });

  it('maps a Classic Load Balancer line, which starts with the time, onto the same fields', () => {
    const classic =
      '2024-05-02T08:30:15.004200Z legacy-lb 203.0.113.9:41000 10.0.2.7:80 0.000081 0.004300 0.000050 404 404 0 57 ' +
      '"GET http://shop.example.com:80/missing?x=2 HTTP/1.1" "curl/8.5.0" - -';

    const result = parseAlbLine(classic, context);

    if (!result.ok) expect.fail(result.error);
    expect(result.record.timestamp).to.equal('2024-05-02T08:30:15.004Z');
    expect(result.record.severityText).to.equal('WARN');
    expect(result.record.attributes).to.include({
      'aws.elb.name': 'legacy-lb',
      'client.address': '203.0.113.9',
      'aws.elb.target.port': 80,
      'aws.elb.target_processing_time': 0.0043,
      'http.response.status_code': 404,
      'http.response.size': 57,
      'url.path': '/missing',
      'user_agent.original': 'curl/8.5.0',
    });
    expect(result.record.attributes).to.not.have.any.keys('aws.elb.type', 'aws.elb.extra_fields');
  });

  describe('requests the load balancer could not read', () => {
    for (const request of ['- - - ', '- http://my-lb-123.us-east-1.elb.amazonaws.com:80- -']) {
      it(`keeps ${JSON.stringify(request)} in url.original, with no method or server`, () => {
        const result = parseAlbLine(line.replace('"POST https://api.example.com:443/v1/orders?dry=1 HTTP/2.0"', `"${request}"`), context);

        if (!result.ok) expect.fail(result.error);
        expect(result.record.attributes['url.original']).to.equal(request);
        expect(result.record.attributes).to.not.have.any.keys('http.request.method', 'url.path', 'url.full', 'server.address', 'server.port');
      });
    }

    it('still reads a method with "-" in it', () => {
      const result = parseAlbLine(line.replace('"POST https://api.example.com:443/v1/orders?dry=1 HTTP/2.0"', '"VERSION-CONTROL https://api.example.com:443/d HTTP/1.1"'), context);

      if (!result.ok) expect.fail(result.error);
      expect(result.record.attributes).to.include({ 'http.request.method': 'VERSION-CONTROL', 'url.path': '/d' });
    });
  });

  describe('IPv6 clients and targets', () => {
    for (const [label, client, target] of [
      ['without brackets (the last group is the port)', '2001:db8::1:443', '2001:db8:0:1::5:8080'],
      ['with brackets', '[2001:db8::1]:443', '[2001:db8:0:1::5]:8080'],
    ] as const) {
      it(`splits address and port ${label}, ALB and Classic ELB alike`, () => {
        const alb = parseAlbLine(line.replace('198.51.100.7:5000', client).replace('10.0.1.5:8080 0.001', `${target} 0.001`), context);
        const classic = parseAlbLine(
          `2024-05-02T08:30:15.004200Z legacy-lb ${client} ${target} 0.000081 0.004300 0.000050 404 404 0 57 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.5.0" - -`,
          context,
        );

        for (const result of [alb, classic]) {
          if (!result.ok) expect.fail(result.error);
          expect(result.record.attributes).to.include({
            'client.address': '2001:db8::1', 'client.port': 443, 'aws.elb.target.address': '2001:db8:0:1::5', 'aws.elb.target.port': 8080,
          });
        }
      });
    }
  });
});

describe('parseS3AccessLine', () => {
  it('maps the fields after the request, including ACL required as a boolean', () => {
    const line = 'owner1 bkt [01/May/2024:10:00:00 +0000] 192.0.2.1 - REQ1 REST.PUT.OBJECT photos/a.jpg "PUT /bkt/photos/a.jpg HTTP/1.1" 500 InternalError 0 1024 30 - "-" "aws-cli/2" - HOSTID SigV4 - AuthHeader bkt.s3.amazonaws.com TLSv1.3 - - eu-west-3';

    const result = parseS3AccessLine(line, context);

    if (!result.ok) expect.fail(result.error);
    expect(result.record.severityNumber).to.equal(17);
    expect(result.record.attributes).to.include({
      'aws.s3.key': 'photos/a.jpg', 'aws.s3.error_code': 'InternalError', 'aws.s3.object.size': 1024, 'aws.s3.total_time': 30,
      'aws.s3.source_region': 'eu-west-3', 'rpc.method': 'REST.PUT.OBJECT',
    });
    expect(result.record.attributes).to.not.have.any.keys('user.id', 'aws.s3.acl_required', 'aws.s3.turn_around_time');
  });

  describe('the remote IP', () => {
    const withRemote = (remote: string) =>
      `owner1 bkt [01/May/2024:10:00:00 +0000] ${remote} - REQ1 REST.GET.OBJECT a.jpg "GET /bkt/a.jpg HTTP/1.1" 200 - 10 10 3 2 "-" "aws-cli/2" - HOSTID SigV4 - AuthHeader bkt.s3.amazonaws.com TLSv1.3 - -`;

    for (const [remote, address, port] of [
      ['2001:db8::1:443', '2001:db8::1', 443],
      ['[2001:db8::1]:443', '2001:db8::1', 443],
      ['192.0.2.1:5123', '192.0.2.1', 5123],
      ['2001:db8::1', '2001:db8::1', undefined],
      ['2600:1f18:4a3:6902:7b3f:3c1a:b2d3:8f2e', '2600:1f18:4a3:6902:7b3f:3c1a:b2d3:8f2e', undefined],
      ['192.0.2.1', '192.0.2.1', undefined],
    ] as const) {
      it(`reads ${remote} as ${address}${port === undefined ? '' : ` port ${port}`}`, () => {
        const result = parseS3AccessLine(withRemote(remote), context);

        if (!result.ok) expect.fail(result.error);
        expect(result.record.attributes['client.address']).to.equal(address);
        expect(result.record.attributes['client.port']).to.equal(port);
      });
    }
  });
});

describe('parseVpcFlowLine', () => {
  it('reads a custom format declared by the header and parses the header line as a header record', () => {
    const fields = ['version', 'vpc-id', 'srcaddr', 'dstaddr', 'protocol', 'start', 'end', 'action', 'flow-direction'];
    const header = parseVpcFlowLine(fields.join(' '), context);

    const result = parseVpcFlowLine('5 vpc-1 10.0.0.1 10.0.0.2 17 1700000000 1700000060 ACCEPT egress', { ...context, formatContext: { fields } });

    expect(header.ok && header.record.attributes).to.deep.equal({ 'log.record.kind': 'header' });
    if (!result.ok) expect.fail(result.error);
    expect(result.record.timestamp).to.equal('2023-11-14T22:14:20.000Z');
    expect(result.record.attributes).to.include({
      'aws.vpc.id': 'vpc-1', 'network.transport': 'udp', 'network.io.direction': 'transmit', 'aws.vpc.flow.start': 1700000000,
    });
  });

  describe('any documented field set', () => {
    const fields = [
      'ecs-task-id', 'srcaddr', 'pkt-srcaddr', 'dstaddr', 'end', 'action', 'reject-reason', 'encryption-status', 'resource-id',
      'ecs-cluster-arn', 'ecs-cluster-name', 'ecs-container-instance-arn', 'ecs-container-instance-id', 'ecs-container-id',
      'ecs-second-container-id', 'ecs-service-name', 'ecs-task-definition-arn', 'ecs-task-arn', 'type', 'tcp-flags', 'traffic-path',
      'instance-id', 'subnet-id', 'az-id', 'sublocation-type', 'sublocation-id', 'pkt-src-aws-service', 'pkt-dst-aws-service', 'region',
    ];
    const line = [
      'f1e2', '10.0.1.5', '10.0.9.9', '10.0.2.7', '1700000060', 'REJECT', 'BPA', '1', 'nat-0abc',
      'arn:aws:ecs:eu-west-1:1:cluster/c', 'c', 'arn:aws:ecs:eu-west-1:1:container-instance/c/i', 'i', 'd0cker1', 'd0cker2', 'svc',
      'arn:aws:ecs:eu-west-1:1:task-definition/t:3', 'arn:aws:ecs:eu-west-1:1:task/c/f1e2', 'IPv4', '19', '1', 'i-0abc', 'subnet-1',
      'euw1-az1', 'outpost', 'op-1', 'S3', '-', 'eu-west-1',
    ].join(' ');

    it('reads a header in any order with the ECS, reject-reason, resource-id and encryption-status fields', () => {
      const header = fields.join(' ');
      const { format, formatContext } = detectFormat([header, line]);

      const result = parseVpcFlowLine(line, { ...context, formatContext });

      expect(format).to.equal('vpcflow');
      if (!result.ok) expect.fail(result.error);
      expect(result.record.timestamp).to.equal('2023-11-14T22:14:20.000Z');
      expect(result.record.severityText).to.equal('WARN');
      expect(result.record.attributes).to.deep.equal({
        'aws.ecs.task.id': 'f1e2',
        'aws.vpc.flow.end': 1700000060,
        'aws.vpc.flow.action': 'REJECT',
        'aws.vpc.flow.reject_reason': 'BPA',
        'aws.vpc.flow.encryption_status': 1,
        'aws.vpc.flow.resource_id': 'nat-0abc',
        'aws.ecs.cluster.arn': 'arn:aws:ecs:eu-west-1:1:cluster/c',
        'aws.ecs.cluster.name': 'c',
        'aws.ecs.container.instance.arn': 'arn:aws:ecs:eu-west-1:1:container-instance/c/i',
        'aws.ecs.container.instance.id': 'i',
        'aws.ecs.container.id': 'd0cker1',
        'aws.ecs.second.container.id': 'd0cker2',
        'aws.ecs.service.name': 'svc',
        'aws.ecs.task.definition.arn': 'arn:aws:ecs:eu-west-1:1:task-definition/t:3',
        'aws.ecs.task.arn': 'arn:aws:ecs:eu-west-1:1:task/c/f1e2',
        'network.type': 'ipv4',
        'network.tcp.flags': '19',
        'aws.vpc.flow.traffic_path': '1',
        'host.id': 'i-0abc',
        'aws.vpc.subnet.id': 'subnet-1',
        'aws.az.id': 'euw1-az1',
        'aws.sublocation.type': 'outpost',
        'aws.sublocation.id': 'op-1',
        'aws.vpc.flow.source.service': 'S3',
        'cloud.region': 'eu-west-1',
        'source.address': '10.0.9.9',
        'destination.address': '10.0.2.7',
        'network.local.address': '10.0.1.5',
      });
    });

    it('keeps a field the list does not know as aws.vpc.flow.<field_name> instead of failing every line', () => {
      const header = 'some-future-field version srcaddr dstaddr end action';
      const { format, formatContext } = detectFormat([header, 'blue 11 10.0.0.1 10.0.0.2 1700000060 ACCEPT']);

      const result = parseVpcFlowLine('blue 11 10.0.0.1 10.0.0.2 1700000060 ACCEPT', { ...context, formatContext });
      const headerRecord = parseVpcFlowLine(header, { ...context, formatContext });

      expect(format).to.equal('vpcflow');
      expect(result.ok && result.record.attributes).to.include({ 'aws.vpc.flow.some_future_field': 'blue', 'source.address': '10.0.0.1' });
      expect(headerRecord.ok && headerRecord.record.attributes['log.record.kind']).to.equal('header');
    });

    it('takes the timestamp from start when the format has no end', () => {
      const result = parseVpcFlowLine('10.0.0.1 1700000000 ACCEPT', { ...context, formatContext: { fields: ['srcaddr', 'start', 'action'] } });

      expect(result.ok && result.record.timestamp).to.equal('2023-11-14T22:13:20.000Z');
    });

    it('does not take prose or a data line for a header', () => {
      expect(isVpcFlowHeader('the start and the end of it')).to.equal(false);
      expect(isVpcFlowHeader('2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK')).to.equal(false);
    });
  });

  it('uses the version 2 default fields without a header', () => {
    const result = parseVpcFlowLine('2 123 eni-1 10.0.0.1 10.0.0.2 443 50000 6 10 840 1700000000 1700000060 REJECT OK', context);

    expect(result.ok && result.record.severityText).to.equal('WARN');
    expect(result.ok && result.record.attributes['destination.port']).to.equal(50000);
  });
});

describe('parseCloudFrontLine', () => {
  it('follows the #Fields order from the format context and parses header lines as headers', () => {
    const fields = ['date', 'time', 'c-ip', 'cs-method', 'cs-uri-stem', 'sc-status', 'cs(User-Agent)', 'x-edge-location', 'cs-uri-query', 'x-new-field', 'sc-bytes', 'time-taken'];
    const line = ['2024-05-01', '10:00:00', '203.0.113.1', 'GET', '/img.png', '403', 'Mozilla/5.0%20(X11)', 'CDG50', 'v=2', 'z', '512', '0.002'].join('\t');

    const result = parseCloudFrontLine(line, { ...context, formatContext: { fields } });
    const header = parseCloudFrontLine(`#Fields: ${fields.join(' ')}`, context);

    if (!result.ok) expect.fail(result.error);
    expect(result.record.timestamp).to.equal('2024-05-01T10:00:00.000Z');
    expect(result.record.severityText).to.equal('WARN');
    expect(result.record.attributes).to.include({
      'client.address': '203.0.113.1', 'user_agent.original': 'Mozilla/5.0 (X11)', 'url.query': 'v=2', 'aws.cloudfront.x_new_field': 'z',
    });
    expect(header.ok && header.record.attributes['log.record.kind']).to.equal('header');
  });

  it('splits an IPv6 c-ip written with its port, with or without brackets; c-port wins when both are there', () => {
    const fields = ['date', 'time', 'c-ip', 'cs-method', 'cs-uri-stem', 'sc-status', 'cs(User-Agent)', 'x-edge-location', 'cs-uri-query', 'sc-bytes', 'time-taken', 'c-port'];
    const withClient = (client: string, port: string) =>
      ['2024-05-01', '10:00:00', client, 'GET', '/', '200', 'curl', 'CDG50', '-', '512', '0.002', port].join('\t');

    const bare = parseCloudFrontLine(withClient('2001:db8::1:443', '-'), { ...context, formatContext: { fields } });
    const bracketed = parseCloudFrontLine(withClient('[2001:db8::1]:443', '-'), { ...context, formatContext: { fields } });
    const plain = parseCloudFrontLine(withClient('2001:db8::1', '51000'), { ...context, formatContext: { fields } });

    for (const result of [bare, bracketed]) {
      expect(result.ok && result.record.attributes).to.include({ 'client.address': '2001:db8::1', 'client.port': 443 });
    }
    expect(plain.ok && plain.record.attributes).to.include({ 'client.address': '2001:db8::1', 'client.port': 51000 });
  });

  it('rejects a line whose field count differs from the #Fields header', () => {
    const result = parseCloudFrontLine(Array(13).fill('x').join('\t'), { ...context, formatContext: { fields: Array(14).fill('f') } });

    expect(!result.ok && result.error).to.match(/13 fields, the #Fields header declares 14/);
  });
});

describe('CloudTrail', () => {
  describe('looksLikeCloudTrail', () => {
    it('recognises compact and pretty-printed documents and nothing else', () => {
      expect(looksLikeCloudTrail('{"Records":[{"eventVersion"')).to.equal(true);
      expect(looksLikeCloudTrail('\uFEFF  {\n  "Records" : [\n')).to.equal(true);
      expect(looksLikeCloudTrail('{"records":[')).to.equal(false);
      expect(looksLikeCloudTrail('{"eventVersion":"1.08"}')).to.equal(false);
    });
  });

  describe('cloudTrailRecords', () => {
    it('returns one compact line per record', () => {
      expect(cloudTrailRecords('{\n "Records": [\n  {"a": 1},\n  {"b": [2, 3]}\n ]\n}')).to.deep.equal(['{"a":1}', '{"b":[2,3]}']);
    });
  });

  describe('parseCloudTrailLine', () => {
    const record = {
      eventVersion: '1.09', eventTime: '2024-05-01T10:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject',
      awsRegion: 'eu-west-1', sourceIPAddress: '198.51.100.1', userAgent: 'aws-sdk-js/3', requestID: 'R1',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/r/s' }, readOnly: true,
    };

    it('maps a record to rpc.*, cloud.*, client.address and aws.cloudtrail.*', () => {
      const result = parseCloudTrailLine(JSON.stringify(record), context);

      if (!result.ok) expect.fail(result.error);
      expect(result.record.body).to.equal('s3.amazonaws.com GetObject');
      expect(result.record.severityText).to.equal('INFO');
      expect(result.record.attributes).to.include({
        'rpc.system': 'aws-api', 'rpc.service': 's3.amazonaws.com', 'rpc.method': 'GetObject', 'cloud.region': 'eu-west-1',
        'client.address': '198.51.100.1', 'user_agent.original': 'aws-sdk-js/3', 'aws.request_id': 'R1',
        'user.id': 'arn:aws:sts::1:assumed-role/r/s', 'aws.cloudtrail.read_only': true, 'aws.cloudtrail.event_version': '1.09',
      });
    });

    it('makes a caller error WARN and a service error ERROR', () => {
      const denied = parseCloudTrailLine(JSON.stringify({ ...record, errorCode: 'AccessDenied' }), context);
      const internal = parseCloudTrailLine(JSON.stringify({ ...record, errorCode: 'InternalError' }), context);

      expect(denied.ok && denied.record.severityText).to.equal('WARN');
      expect(internal.ok && internal.record.severityText).to.equal('ERROR');
    });

    it('rejects JSON that is not a CloudTrail record', () => {
      const result = parseCloudTrailLine('{"msg":"hello"}', context);

      expect(!result.ok && result.error).to.match(/eventVersion and eventTime are required/);
    });
  });
});
