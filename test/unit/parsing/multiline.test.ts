import { expect } from 'chai';
import { EventAssembler, type PositionedEvent } from '../../../src/domain/event-assembler.js';
import { assemble as assembleFormat } from '../../helpers/assemble.js';
import { DOCKER_JSON_POLICY, multilinePolicyFor, STACK_TRACE_POLICY } from '../../../src/domain/parsing/multiline.js';


const assemble = (lines: readonly string[], format = 'text'): string[] => assembleFormat(lines, format);

describe('multilinePolicyFor', () => {
  it('gives text the stack-trace policy, json the Docker partial-record one and other structured formats none', () => {
    expect(multilinePolicyFor('text')).to.equal(STACK_TRACE_POLICY);
    expect(multilinePolicyFor('json')).to.equal(DOCKER_JSON_POLICY);
    for (const format of ['logfmt', 'syslog', 'combined', 'alb', 'cloudtrail']) expect(multilinePolicyFor(format)).to.equal(undefined);
  });
});

describe('STACK_TRACE_POLICY (through EventAssembler)', () => {
  it('joins a Java exception, its frames, Caused by and "... N more" to the log line', () => {
    const lines = [
      '2024-01-01 10:00:00 ERROR request failed',
      'java.lang.IllegalStateException: boom',
      '\tat com.example.Service.run(Service.java:42)',
      '\tat com.example.Main.main(Main.java:7)',
      'Caused by: java.io.IOException: disk',
      '\t... 2 more',
      '2024-01-01 10:00:01 INFO next',
    ];

    const events = assemble(lines);

    expect(events).to.deep.equal([lines.slice(0, 6).join('\n'), lines[6]]);
  });

  it('joins a Python traceback, its indented frames and the final exception line', () => {
    const lines = [
      'ERROR:root:job crashed',
      'Traceback (most recent call last):',
      '  File "job.py", line 3, in <module>',
      '    int("x")',
      'ValueError: invalid literal for int() with base 10: \'x\'',
      'INFO:root:retrying',
    ];

    const events = assemble(lines);

    expect(events).to.deep.equal([lines.slice(0, 5).join('\n'), lines[5]]);
  });

  it('does not join a message that merely starts with "Error:"', () => {
    expect(assemble(['first event', 'Error: second event'])).to.deep.equal(['first event', 'Error: second event']);
  });

  it('does not join indented lines when the event itself starts indented', () => {
    expect(assemble(['  a', '  b'])).to.deep.equal(['  a', '  b']);
  });

  it('ends an event at a blank line', () => {
    expect(assemble(['start', '  detail', '', '  orphan'])).to.deep.equal(['start\n  detail', '', '  orphan']);
  });

  it('starts a new event at the line cap, so every line of a long stack trace is stored', () => {
    const lines = ['head', ...Array.from({ length: 2 * STACK_TRACE_POLICY.maxLines + 3 }, (_, index) => `    at frame${index}`)];
    const assembler = new EventAssembler(STACK_TRACE_POLICY);
    const events: PositionedEvent[] = [];

    for (const text of lines) assembler.push({ text, byteOffset: 0 }, events);
    assembler.flush(events);

    expect(events.map((event) => event.text.split('\n').length)).to.deep.equal([STACK_TRACE_POLICY.maxLines, STACK_TRACE_POLICY.maxLines, 4]);
    expect(events.map((event) => event.lineCount)).to.deep.equal([STACK_TRACE_POLICY.maxLines, STACK_TRACE_POLICY.maxLines, 4]);
    expect(events.map((event) => event.text).join('\n')).to.equal(lines.join('\n'));
    expect(events.every((event) => event.originalBytes === undefined)).to.equal(true);
  });

  it('starts a new event at a continuation line that would pass the byte cap, never leaving it out of the middle', () => {
    const lines = ['ERROR boom', `\tat ${'a'.repeat(60_000)}`, `\tat ${'b'.repeat(10_000)}`, '\tat short.frame(X.java:1)', 'next'];

    expect(assemble(lines)).to.deep.equal([lines.slice(0, 2).join('\n'), lines.slice(2, 4).join('\n'), 'next']);
  });

  it('joins the lines of a private key block, with a logger prefix or not, and nothing after it', () => {
    const body = ['MIIEowIBAAKCAQEAfixtureFIXTUREfixtureFIXTUREfixtureFIXTUREfixture01', 'QGdl2RkzmkFIXTUREonlyNOTaREALkeyBodyLineNumberTwo'];
    const block = ['-----BEGIN RSA PRIVATE KEY-----', ...body, 'x9Zk3FIXTURE', '-----END RSA PRIVATE KEY-----'];
    const prefixed = block.map((line) => `2026-01-01T00:00:00Z DEBUG ${line}`);

    for (const format of ['text', 'json']) {
      // In text the block joins the event it is dumped in; in a structured format it is an event of its own.
      const opened = format === 'text' ? ['key:\n' + block.join('\n')] : ['key:', block.join('\n')];
      expect(assemble(['key:', ...block, 'after', 'after 2'], format), format).to.deep.equal([...opened, 'after', 'after 2']);
      expect(assemble([...prefixed, 'after'], format), format).to.deep.equal([prefixed.join('\n'), 'after']);
      // Cut off before its END line: the short last line still joins, the log line after it does not.
      expect(assemble([...block.slice(0, 4), '2026-01-01 INFO next'], format), format).to.deep.equal([block.slice(0, 4).join('\n'), '2026-01-01 INFO next']);
      // A key whose only body line is short (an EC key cut short, a test key).
      const short = ['-----BEGIN EC PRIVATE KEY-----', 'MHcCAQEEIZq9vLm2pXr7tWy4sKd8c', '-----END EC PRIVATE KEY-----'];
      const dumped = assemble(['2026-01-01 WARN dump', ...short, 'after'], format);
      expect(dumped.at(-1), format).to.equal('after');
      expect(dumped.at(-2)!.endsWith(short.join('\n')), format).to.equal(true);
    }
  });

  it('takes no log lines into a line that only mentions a private key block', () => {
    const lines = ['2026-01-01T00:00:01Z INFO start', '2026-01-01T00:00:02Z WARN expected a PEM starting -----BEGIN PRIVATE KEY-----'];
    for (let index = 3; index <= 30; index++) lines.push(`2026-01-01T00:00:${String(index).padStart(2, '0')}Z INFO request ${index}`);

    expect(assemble(lines, 'text')).to.deep.equal(lines);
    expect(assemble(lines.map((line) => JSON.stringify({ msg: line })), 'json')).to.have.length(30);
  });

  it('cuts a key block beyond the caps rather than storing its lines as events of their own', () => {
    const base64 = 'MIIEowIBAAKCAQEAfixtureFIXTUREfixtureFIXTUREfixtureFIXTUREfixture01';
    const lines = ['-----BEGIN PRIVATE KEY-----', ...Array.from({ length: STACK_TRACE_POLICY.maxLines + 10 }, () => base64), '-----END PRIVATE KEY-----', 'after'];
    const assembler = new EventAssembler(STACK_TRACE_POLICY);
    const events: PositionedEvent[] = [];

    for (const text of lines) assembler.push({ text, byteOffset: 0 }, events);
    assembler.flush(events);

    expect(events.map((event) => event.lineCount)).to.deep.equal([lines.length - 1, 1]);
    expect(events[0].originalBytes).to.equal(Buffer.byteLength(lines.slice(0, -1).join('\n')));
    expect(events[1].text).to.equal('after');
  });

  it('joins text lines in a mixed JSON and text file, but never joins a line to a JSON line', () => {
    const lines = ['{"level":"error","msg":"boom"}', '\tat com.example.A.run(A.java:1)', '\tat com.example.B.run(B.java:2)', 'ERROR text boom', '    detail', `{"msg":"x"}`, `${' '.repeat(40)}spaces`];

    expect(assemble(lines, 'json+text')).to.deep.equal([lines[0], `${lines[1]}\n${lines[2]}`, `${lines[3]}\n${lines[4]}`, lines[5], lines[6]]);
  });

  it('keeps an indented JSON object line out of the text event before it, but joins a pretty-printed object', () => {
    const lines = [
      '2024-05-01T10:00:01Z INFO plain line',
      '  {"level":"error","msg":"indented json","user":"bob"}',
      '2024-05-01T10:00:02Z INFO config:',
      '  {',
      '    "a": 1',
      '  }',
    ];

    expect(assemble(lines, 'json+text')).to.deep.equal([lines[0], lines[1], lines.slice(2).join('\n')]);
  });

  it('keeps every line its own event for JSON', () => {
    expect(assemble(['{"a":1}', '  {"b":2}'], 'json')).to.deep.equal(['{"a":1}', '  {"b":2}']);
  });
});
