/**
 * The naming rule: an event type is the aggregate's name followed by a past participle
 * (`OrderPlaced`, `AccountOpened`, `PaymentRefunded`). A type that reads as a command
 * (`PlaceOrder`) or does not end in a past participle is reported with a suggested fix.
 */

export interface EventNameViolation {
  aggregate: string | undefined;
  type: string;
  rule: 'pascal-case' | 'reads-as-command' | 'not-past-participle' | 'missing-aggregate-prefix';
  message: string;
}

/** Irregular past participles that do not end in -ed (lower case). */
const IRREGULAR = new Set(
  (
    'begun bought brought built caught chosen come cut dealt done drawn driven eaten fallen felt found forgotten frozen given gone grown held hidden hit ' +
    'hung kept known laid led left lent let lost made meant met overridden paid put quit read rebuilt redone remade resent reset rewritten ridden risen run ' +
    'said seen sent set shaken shot shown shut sold spent split spoken spread stolen struck stuck sung sunk swept swung taken taught thrown told understood ' +
    'undone upheld withdrawn won worn written'
  ).split(' '),
);

/** Verbs that commonly open a command name; an event starting with one reads as an order. */
const IMPERATIVE = new Set(
  (
    'accept activate add adjust allocate approve archive assign authorize book cancel capture change charge check close complete confirm create credit ' +
    'debit deactivate decline delete deliver deposit disable dispatch enable end fail finish freeze fulfil fulfill get import issue join lock make mark ' +
    'merge move notify open order pay place post process publish put receive record refund register reject release remove rename reopen request reserve ' +
    'reset restore resume retry return revoke schedule send set ship start stop submit suspend transfer unlock update upload verify void withdraw'
  ).split(' '),
);

function words(type: string): string[] {
  return type.match(/[A-Z][a-z0-9]*|[A-Z]+(?![a-z])/g) ?? [];
}

export function isPastParticiple(word: string): boolean {
  const w = word.toLowerCase();
  return (w.length > 3 && w.endsWith('ed')) || IRREGULAR.has(w) || (w.length > 4 && w.endsWith('en') && !w.endsWith('ment'));
}

/**
 * @example
 * checkEventNames([{ aggregate: 'Order', eventTypes: ['OrderPlaced', 'PlaceOrder'] }]);
 * // → [{ type: 'PlaceOrder', rule: 'reads-as-command', message: '… rename it to OrderPlaced …' }]
 */
export function checkEventNames(declarations: Iterable<{ aggregate?: string; eventTypes: readonly string[] }>): EventNameViolation[] {
  const violations: EventNameViolation[] = [];
  for (const { aggregate, eventTypes } of declarations) {
    for (const type of eventTypes) {
      const report = (rule: EventNameViolation['rule'], message: string) => violations.push({ aggregate, type, rule, message });
      if (!/^[A-Z][A-Za-z0-9]*$/.test(type)) {
        report('pascal-case', `"${type}" is not PascalCase; write event types like "OrderPlaced".`);
        continue;
      }
      const parts = words(type);
      const first = (parts[0] ?? '').toLowerCase();
      const last = parts[parts.length - 1] ?? '';
      if (!isPastParticiple(last)) {
        const rest = parts.slice(1).join('');
        const suggestion = IMPERATIVE.has(first) && rest ? `${rest}${pastParticiple(first)}` : `${type}<PastParticiple>`;
        if (IMPERATIVE.has(first)) report('reads-as-command', `"${type}" reads as a command; name the fact instead, e.g. "${suggestion}".`);
        else report('not-past-participle', `"${type}" does not end in a past participle; name what happened, e.g. "${suggestion}".`);
        continue;
      }
      if (aggregate) {
        const aggregateWords = words(aggregate);
        const shortName = aggregateWords[aggregateWords.length - 1] ?? aggregate;
        if (!type.startsWith(aggregate) && !type.startsWith(shortName)) {
          report('missing-aggregate-prefix', `"${type}" should start with its aggregate's name, e.g. "${shortName}${type}".`);
        }
      }
    }
  }
  return violations;
}

function pastParticiple(verb: string): string {
  const irregular: Record<string, string> = { pay: 'Paid', send: 'Sent', make: 'Made', put: 'Put', set: 'Set', get: 'Got', withdraw: 'Withdrawn' };
  const known = irregular[verb];
  if (known) return known;
  const cap = verb[0]?.toUpperCase() + verb.slice(1);
  if (verb.endsWith('e')) return `${cap}d`;
  if (/[^aeiou]y$/.test(verb)) return `${cap.slice(0, -1)}ied`;
  if (/^[^aeiou]*[aeiou][bdgmnpt]$/.test(verb)) return `${cap}${verb.at(-1)}ed`;
  return `${cap}ed`;
}
