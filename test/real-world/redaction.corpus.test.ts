import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { DEFAULT_REDACTION, Redactor } from '../../src/domain/redaction/redactor.js';
import { CORPUS_DIR } from './corpus-files.js';

/**
 * False positives of the default detectors on the shared corpus (issue 14), listed in docs/security.md: every log text
 * of every corpus file (a raw file's lines, a test-case file's inputs, a CloudTrail or JSON document whole) is run
 * through the default redactor, and every replacement is collected by corpus folder.
 */
function corpusTexts(): Map<string, string[]> {
  const walk = (directory: string): string[] =>
    readdirSync(directory).flatMap((name) => {
      const full = path.join(directory, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  const byGroup = new Map<string, string[]>();
  for (const file of walk(CORPUS_DIR).filter((each) => !each.includes('/LICENSES/') && !each.endsWith('.md'))) {
    const group = path.relative(CORPUS_DIR, file).split(path.sep)[0];
    const raw = readFileSync(file).toString('utf8');
    let texts: string[];
    if (file.endsWith('.jsonl')) {
      texts = raw
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const testCase = JSON.parse(line) as { input?: unknown; input_b64?: string };
          if (typeof testCase.input_b64 === 'string' && testCase.input_b64 !== '') return Buffer.from(testCase.input_b64, 'base64').toString('utf8');
          return typeof testCase.input === 'string' ? testCase.input : line;
        });
    } else if (group === 'aws_cloudtrail' || group === 'jsonl') texts = [raw];
    else texts = raw.split('\n').filter((line) => line.trim() !== '');
    byGroup.set(group, [...(byGroup.get(group) ?? []), ...texts]);
  }
  return byGroup;
}

describe('default redaction on the shared corpus', () => {
  const redactor = Redactor.compile(DEFAULT_REDACTION)!;
  const replaced = new Map<string, string[]>();
  for (const [group, texts] of corpusTexts()) {
    replaced.set(
      group,
      texts.flatMap((text) => {
        const redacted = redactor.redactString(text);
        return redacted === text ? [] : (redacted.match(/\S{0,40}\[REDACTED:[^\]]+\]/g) ?? []);
      }),
    );
  }

  it('replaces nothing in access, error, ALB, CloudFront, S3, VPC flow, syslog, logfmt and JSON samples but the token in one query string', () => {
    const expected: Record<string, string[]> = { apache_access: ['ername%40example.com/authenticate?token=[REDACTED:secret-field]'] };

    for (const [group, hits] of replaced) {
      if (group === 'aws_cloudtrail') continue;
      expect(hits, group).to.deep.equal(expected[group] ?? []);
    }
  });

  it('replaces in CloudTrail only the access key id AWS documents as its example (a key id, which the default redacts)', () => {
    const hits = replaced.get('aws_cloudtrail') ?? [];

    expect(hits.length).to.be.greaterThan(0);
    expect(new Set(hits.map((hit) => hit.replace(/^.*\[/, '[')))).to.deep.equal(new Set(['[REDACTED:aws-access-key]']));
  });
});
