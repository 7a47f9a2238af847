/**
 * Characters from the most to the least frequent in log text (spaces, punctuation and digits first, then letters in
 * English order); a character not listed counts as rarer than all of them.
 */
const COMMON_FIRST = ' "-./:,=_0123456789etaoinshrdlcumwfgypbvkjxqz';

/**
 * One regular expression that finds any of `triggers` in a text: a trigger written in lower case matches in any
 * (ASCII) case, like a case-insensitive regular expression does; one with an upper-case letter matches exactly as
 * written (`AKIA`, `eyJ`). `extra` are regular-expression sources added as they are (`%[0-9a-fA-F]{2}`).
 *
 * For lower-case triggers it finds what `new RegExp(triggers.join('|'), 'i')` finds, about three times as fast on log
 * lines (docs/performance.md, "Redaction"): each trigger starts at its rarest character, spelled as a case class
 * (`[kK]`), with the characters before it checked by a look-behind (`[kK](?<=[tT][oO][kK])[eE][nN]` for `token`),
 * so most positions of a line fail on one character; V8 runs an `i` alternation far slower (the flag alone undoes
 * the gain). A trigger that contains another one (`private key` and `key`) is left out.
 */
export function triggerPattern(triggers: readonly string[], extra: readonly string[] = []): RegExp {
  const unique = [...new Set(triggers)].filter((trigger) => trigger !== '');
  const needed = unique.filter((trigger) => !unique.some((other) => other !== trigger && covers(other, trigger)));
  return new RegExp([...needed.map(triggerSource), ...extra].join('|'));
}

/** True when every text that holds `longer` also holds `shorter`, under each one's own case rule. */
function covers(shorter: string, longer: string): boolean {
  if (ignoresCase(shorter)) return longer.toLowerCase().includes(shorter);
  return !ignoresCase(longer) && longer.includes(shorter);
}

function ignoresCase(trigger: string): boolean {
  return trigger === trigger.toLowerCase();
}

function triggerSource(trigger: string): string {
  const characters = [...trigger];
  let anchor = 0;
  for (let index = 1; index < characters.length; index++) {
    if (rarity(characters[index]) > rarity(characters[anchor])) anchor = index;
  }
  const spell = (character: string) => characterSource(character, ignoresCase(trigger));
  const before = anchor === 0 ? '' : `(?<=${characters.slice(0, anchor + 1).map(spell).join('')})`;
  return spell(characters[anchor]) + before + characters.slice(anchor + 1).map(spell).join('');
}

function rarity(character: string): number {
  const rank = COMMON_FIRST.indexOf(character.toLowerCase());
  return rank === -1 ? COMMON_FIRST.length : rank;
}

/** `k` → `[kK]` when case is ignored (ASCII letters only, as the `i` flag without `u` does); others escaped. */
function characterSource(character: string, ignoreCase: boolean): string {
  if (ignoreCase && /^[a-z]$/.test(character)) return `[${character}${character.toUpperCase()}]`;
  return character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
