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
  // Triggers with the same anchor and the same characters after it are one alternative whose look-behind lists their
  // beginnings (`ikey`, `e_key`, `s-key`… → `[kK](?<=(?:[iIeEsS]|[iIeEsS]_|[iIeEsS]-)[kK])[eE][yY]`): V8 tries the
  // alternatives one by one at every anchor character, and twelve of them on each `k` of a user agent (`WebKit`,
  // `like Gecko`) cost more than the whole gate did before.
  const groups = new Map<string, { anchor: string; after: string; befores: Array<{ characters: string[]; ignoreCase: boolean }> }>();
  for (const trigger of needed) {
    const characters = [...trigger];
    let anchor = 0;
    for (let index = 1; index < characters.length; index++) {
      if (rarity(characters[index]) > rarity(characters[anchor])) anchor = index;
    }
    const ignoreCase = ignoresCase(trigger);
    const spell = (character: string) => characterSource(character, ignoreCase);
    const anchorSource = spell(characters[anchor]);
    const after = characters.slice(anchor + 1).map(spell).join('');
    const key = `${anchorSource}\u0000${after}`;
    const group = groups.get(key) ?? { anchor: anchorSource, after, befores: [] };
    group.befores.push({ characters: characters.slice(0, anchor), ignoreCase });
    groups.set(key, group);
  }
  const sources = [...groups.values()].map(({ anchor, after, befores }) => `${anchor}${lookBehind(befores, anchor)}${after}`);
  return new RegExp([...sources, ...extra].join('|'));
}

/**
 * The look-behind that checks one of `befores` ends right before the anchor, or '' when one of them is empty (the
 * anchor and what follows suffice). Beginnings that differ only in their first character share one alternative, their
 * first characters in one class.
 */
function lookBehind(befores: ReadonlyArray<{ characters: string[]; ignoreCase: boolean }>, anchor: string): string {
  if (befores.some((before) => before.characters.length === 0)) return '';
  const byRest = new Map<string, Set<string>>();
  for (const { characters, ignoreCase } of befores) {
    const rest = characters.slice(1).map((character) => characterSource(character, ignoreCase)).join('');
    const firsts = byRest.get(rest) ?? new Set<string>();
    const first = characters[0];
    firsts.add(first);
    if (ignoreCase && /^[a-z]$/.test(first)) firsts.add(first.toUpperCase());
    byRest.set(rest, firsts);
  }
  const alternatives = [...byRest].map(([rest, firsts]) => `${classOf([...firsts])}${rest}`);
  return `(?<=${alternatives.length === 1 ? alternatives[0] : `(?:${alternatives.join('|')})`}${anchor})`;
}

/** A character class of `characters` (one character as itself, escaped). */
function classOf(characters: string[]): string {
  if (characters.length === 1) return characterSource(characters[0], false);
  return `[${characters.map((character) => character.replace(/[\]\\^-]/g, '\\$&')).join('')}]`;
}

/** True when every text that holds `longer` also holds `shorter`, under each one's own case rule. */
function covers(shorter: string, longer: string): boolean {
  if (ignoresCase(shorter)) return longer.toLowerCase().includes(shorter);
  return !ignoresCase(longer) && longer.includes(shorter);
}

/** A trigger written in lower case matches in any (ASCII) case; one with an upper-case letter exactly as written. */
export function ignoresCase(trigger: string): boolean {
  return trigger === trigger.toLowerCase();
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
