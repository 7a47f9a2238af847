import { expect } from 'chai';
import { detectFormat, FORMAT_NAMES, isKnownFormat, LINE_PARSERS } from '../../../src/domain/parsing/formats.js';

describe('detectFormat', () => {
  it('picks text for plain English sentences (not logfmt)', () => {
    const decision = detectFormat(['Server started on port 8080', 'Connected to the database', 'Shutting down now']);

    expect(decision).to.deep.equal({ format: 'text' });
  });

  it('picks text for stack-trace style application logs', () => {
    const decision = detectFormat(['2024-01-01 10:00:00 ERROR failed', '    at com.example.Main.run(Main.java:10)', '2024-01-01 10:00:01 INFO ok']);

    expect(decision.format).to.equal('text');
  });

  it('picks json for JSON object lines and cloudtrail for CloudTrail record lines', () => {
    const json = detectFormat(['{"level":"info","msg":"a"}', '{"level":"warn","msg":"b"}']);
    const cloudTrail = detectFormat(['{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}']);

    expect(json.format).to.equal('json');
    expect(cloudTrail.format).to.equal('cloudtrail');
  });

  it('picks text for a file of bare numbers even though each is valid JSON', () => {
    expect(detectFormat(['1', '2', '3']).format).to.equal('text');
  });

  it('picks logfmt for key=value lines', () => {
    expect(detectFormat(['ts=2024-01-01T00:00:00Z level=info msg=start', 'ts=2024-01-01T00:00:01Z level=info msg="ready now"']).format).to.equal('logfmt');
  });

  it('takes JSON lines with a Records field for JSON, not CloudTrail (documents are read by the wrapped-records reader)', () => {
    expect(detectFormat(['{"Records":[],"msg":"nothing"}', '{"level":"info","msg":"two"}']).format).to.equal('json');
  });

  it('picks cloudfront from the #Version header and carries the #Fields list', () => {
    const decision = detectFormat(['#Version: 1.0', '#Fields: date time c-ip sc-status', '2024-01-01\t00:00:00\t1.2.3.4\t200']);

    expect(decision).to.deep.equal({ format: 'cloudfront', formatContext: { fields: ['date', 'time', 'c-ip', 'sc-status'] } });
  });

  it('picks the majority format when a few lines are noise, and text when nothing reaches half', () => {
    const access = '10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"';

    expect(detectFormat([access, access, 'garbage line']).format).to.equal('combined');
    expect(detectFormat([access, 'noise one', 'noise two']).format).to.equal('text');
  });

  it('ignores blank lines and returns text for an empty sample', () => {
    expect(detectFormat(['', '   '])).to.deep.equal({ format: 'text' });
  });

  it('uses a requested format as is, with the header context it needs', () => {
    const decision = detectFormat(['version srcaddr dstaddr action', '2 1.1.1.1 2.2.2.2 ACCEPT'], 'vpcflow');

    expect(decision).to.deep.equal({ format: 'vpcflow', formatContext: { fields: ['version', 'srcaddr', 'dstaddr', 'action'] } });
    expect(detectFormat(['anything'], 'json')).to.deep.equal({ format: 'json' });
  });
});

describe('LINE_PARSERS', () => {
  it('has a parser for every format name and knows no other names', () => {
    expect(FORMAT_NAMES).to.have.members(['json', 'logfmt', 'clf', 'combined', 'syslog', 'cri', 'alb', 'cloudfront', 's3access', 'vpcflow', 'cloudtrail', 'awsconfig', 'text']);
    expect(isKnownFormat('cloudwatch/json+text')).to.equal(true);
    expect(isKnownFormat('cloudwatch/cloudwatch/json')).to.equal(false);
    expect(FORMAT_NAMES.every((name) => typeof LINE_PARSERS[name] === 'function')).to.equal(true);
    expect(isKnownFormat('toString')).to.equal(false);
  });

  it('never throws on hostile input in any format', () => {
    const inputs = ['', '"', '[', '<', '<999>', '{"Records":', '#Fields:', '\uFFFD'.repeat(3), 'a'.repeat(10_000), '" "[ ]"'];

    for (const [format, parse] of Object.entries(LINE_PARSERS)) {
      for (const input of inputs) {
        const result = parse(input, { observedAt: new Date() });
        expect(typeof result.ok, `${format} on ${JSON.stringify(input.slice(0, 20))}`).to.equal('boolean');
        if (!result.ok) expect(result.error).to.be.a('string').and.not.equal('');
      }
    }
  });
});
