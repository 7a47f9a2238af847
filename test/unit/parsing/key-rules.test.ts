import { expect } from 'chai';
import { formatFromKey, globToRegExp, parseFormatRules } from '../../../src/domain/parsing/key-rules.js';

describe('formatFromKey', () => {
  it("recognises AWS's own delivery layouts", () => {
    const cases: Array<[string, string | undefined]> = [
      ['AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/11/20/123456789012_elasticloadbalancing_eu-west-1_app.my-alb.abc_20261120T0800Z_10.0.0.1_xyz.log.gz', 'alb'],
      ['logs/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/20/123456789012_CloudTrail_eu-west-1_20261120T0800Z_abc.json.gz', 'cloudtrail'],
      ['AWSLogs/o-abc123/123456789012/CloudTrail/us-east-1/2026/11/20/x.json.gz', 'cloudtrail'],
      ['AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/20/123456789012_vpcflowlogs_eu-west-1_fl-1_20261120T0800Z_abc.log.gz', 'vpcflow'],
      ['cf/E2QWRUHAPOMQZL.2026-11-20-08.a1b2c3d4.gz', 'cloudfront'],
      ['access/2026-11-20-08-00-01-0A1B2C3D4E5F6789', 's3access'],
      ['access/123456789012/eu-west-1/my-bucket/2026/11/20/2026-11-20-08-00-01-0A1B2C3D4E5F6789', 's3access'],
      ['AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2026/11/20/x.json.gz', undefined],
      ['app/server.log', undefined],
    ];

    for (const [key, format] of cases) expect(formatFromKey(key), key).to.equal(format);
  });

  it("takes the user's first matching rule before the AWS layouts", () => {
    const rules = parseFormatRules('AWSLogs/**=json, nginx/**=combined ,apps/*/*.log=logfmt');

    expect(formatFromKey('AWSLogs/123456789012/vpcflowlogs/x.log', rules)).to.equal('json');
    expect(formatFromKey('nginx/2026/access.log', rules)).to.equal('combined');
    expect(formatFromKey('apps/api/out.log', rules)).to.equal('logfmt');
    expect(formatFromKey('apps/api/deep/out.log', rules)).to.equal(undefined);
  });
});

describe('parseFormatRules', () => {
  it('accepts repeated values and comma-separated ones, and rejects bad rules by name', () => {
    expect(parseFormatRules(['a/**=json', 'b/*=text,c?=syslog']).map((rule) => [rule.glob, rule.format])).to.deep.equal([
      ['a/**', 'json'],
      ['b/*', 'text'],
      ['c?', 'syslog'],
    ]);
    expect(() => parseFormatRules('nginx/**')).to.throw('format rule "nginx/**" must be GLOB=FORMAT');
    expect(() => parseFormatRules('x=nginx')).to.throw('unknown format "nginx"');
    expect(() => parseFormatRules('x=auto')).to.throw('unknown format "auto"');
  });
});

describe('globToRegExp', () => {
  it('matches whole keys: ** across folders (or none), * and ? within one, the rest literally', () => {
    expect(globToRegExp('**/x.log').test('x.log')).to.equal(true);
    expect(globToRegExp('**/x.log').test('a/b/x.log')).to.equal(true);
    expect(globToRegExp('a/*.log').test('a/b/c.log')).to.equal(false);
    expect(globToRegExp('a/?.log').test('a/b.log')).to.equal(true);
    expect(globToRegExp('a.(b)+').test('a.(b)+')).to.equal(true);
    expect(globToRegExp('a.(b)+').test('aX(b)')).to.equal(false);
  });
});
