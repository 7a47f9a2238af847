/**
 * EventBridge's event pattern matching, for the patterns a rule of this stack can hold: nested fields, lists of
 * alternatives, exact values, `prefix`, `suffix`, `wildcard`, `exists` and `anything-but` (of values). Any other
 * operator throws {@link UnsupportedPatternError}, so the rehearsal reports it instead of guessing.
 * See https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export class UnsupportedPatternError extends Error {
  override readonly name = 'UnsupportedPatternError';
}

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isRecord(pattern)) throw new UnsupportedPatternError(`a pattern is an object of fields, got ${JSON.stringify(pattern)}`);
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = isRecord(event) ? event[field] : undefined;
    if (Array.isArray(expected)) return expected.some((matcher) => matchesValue(matcher, actual));
    if (isRecord(expected)) return matchesEventPattern(expected, actual);
    throw new UnsupportedPatternError(`field ${field}: expected a list of matchers or a nested pattern, got ${JSON.stringify(expected)}`);
  });
}

/** One matcher of a field's list against the event's value (each element, when the value is a list). */
function matchesValue(matcher: unknown, actual: unknown): boolean {
  if (isRecord(matcher) && 'exists' in matcher) return (actual !== undefined) === (matcher.exists === true);
  if (actual === undefined) return false;
  if (Array.isArray(actual)) return actual.some((element) => matchesValue(matcher, element));
  if (!isRecord(matcher)) return matcher === actual;
  const [operator, ...others] = Object.keys(matcher);
  if (others.length > 0) throw new UnsupportedPatternError(`one operator per matcher, got ${JSON.stringify(matcher)}`);
  const operand = matcher[operator!];
  const text = typeof actual === 'string' ? actual : undefined;
  switch (operator) {
    case 'prefix':
      return text !== undefined && typeof operand === 'string' && text.startsWith(operand);
    case 'suffix':
      return text !== undefined && typeof operand === 'string' && text.endsWith(operand);
    case 'wildcard':
      return text !== undefined && typeof operand === 'string' && wildcardRegExp(operand).test(text);
    case 'anything-but': {
      if (isRecord(operand)) throw new UnsupportedPatternError(`anything-but with an operator: ${JSON.stringify(matcher)}`);
      return !(Array.isArray(operand) ? operand : [operand]).includes(actual);
    }
    default:
      throw new UnsupportedPatternError(`operator ${operator} is not rehearsed: ${JSON.stringify(matcher)}`);
  }
}

/** `*` matches any run of characters; `\*` and `\\` are a literal star and backslash. */
function wildcardRegExp(wildcard: string): RegExp {
  let source = '';
  for (let index = 0; index < wildcard.length; index++) {
    const character = wildcard[index]!;
    if (character === '\\' && index + 1 < wildcard.length) {
      source += escapeRegExp(wildcard[++index]!);
    } else {
      source += character === '*' ? '.*' : escapeRegExp(character);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
