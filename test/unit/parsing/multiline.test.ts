import { expect } from 'chai';
import { EventAssembler, type PositionedEvent } from '../../../src/domain/event-assembler.js';
import { multilinePolicyFor, STACK_TRACE_POLICY } from '../../../src/domain/parsing/multiline.js';

/** Runs lines through the splitter's assembler with a policy and returns the events' texts. */
function assemble(lines: string[], format = 'text'): string[] {
  const assembler = new EventAssembler(multilinePolicyFor(format));
  const events: PositionedEvent[] = [];
  let byteOffset = 0;
  for (const text of lines) {
    assembler.push({ text, byteOffset }, events);
    byteOffset += Buffer.byteLength(text) + 1;
  }
  assembler.flush(events);
  return events.map((event) => event.text);
}

describe('multilinePolicyFor', () => {
  it('gives text the stack-trace policy and structured formats none', () => {
    expect(multilinePolicyFor('text')).to.equal(STACK_TRACE_POLICY);
    for (const format of ['json', 'logfmt', 'syslog', 'combined', 'alb', 'cloudtrail']) expect(multilinePolicyFor(format)).to.equal(undefined);
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

  it('cuts an event at the line cap: later lines are counted in it, their text dropped, the event marked', () => {
    const lines = ['head', ...Array.from({ length: STACK_TRACE_POLICY.maxLines + 5 }, (_, index) => `    at frame${index}`)];
    const assembler = new EventAssembler(STACK_TRACE_POLICY);
    const events: PositionedEvent[] = [];

    for (const text of lines) assembler.push({ text, byteOffset: 0 }, events);
    assembler.flush(events);

    expect(events).to.have.length(1);
    expect(events[0].text.split('\n')).to.have.length(STACK_TRACE_POLICY.maxLines);
    expect(events[0].lineCount).to.equal(lines.length);
    expect(events[0].originalBytes).to.equal(Buffer.byteLength(lines.join('\n')));
  });

  it('starts a new event after twice the line cap, so a run of indented lines cannot swallow a file', () => {
    const lines = ['head', ...Array.from({ length: 2 * STACK_TRACE_POLICY.maxLines + 3 }, (_, index) => `    at frame${index}`)];

    const events = assemble(lines);

    expect(events).to.have.length(2);
    expect(events[1]).to.equal(`    at frame${2 * STACK_TRACE_POLICY.maxLines - 1}\n    at frame${2 * STACK_TRACE_POLICY.maxLines}\n    at frame${2 * STACK_TRACE_POLICY.maxLines + 1}\n    at frame${2 * STACK_TRACE_POLICY.maxLines + 2}`);
  });

  it('keeps every line its own event for JSON', () => {
    expect(assemble(['{"a":1}', '  {"b":2}'], 'json')).to.deep.equal(['{"a":1}', '  {"b":2}']);
  });
});
