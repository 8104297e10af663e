/**
 * Rules for a new staff password, following NCSC and NIST SP 800-63B: long enough, not a known-common
 * password, not the account's own email address, and no composition rules (no "one capital, one symbol",
 * which make passwords harder to remember and no harder to guess).
 *
 * The deny-list is small and built in, so it needs no download or data file: whole passwords that are at
 * least 12 characters long and still common in breach lists, and common words that people pad out to
 * length with digits and symbols ("Password2024!", "Welcome123456"), including the usual letter-for-digit
 * swaps ("P@ssw0rd"). It is not meant to be exhaustive; the length rule does most of the work.
 */

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** Whole passwords, lower case: breach-list regulars of 12 characters or more. */
const COMMON_PASSWORDS = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456123456',
  '123123123123',
  '123451234512345',
  '147258369147',
  '987654321098',
  '111222333444',
  '112233445566',
  '1q2w3e4r5t6y',
  '1q2w3e4r5t6y7u',
  '1qaz2wsx3edc',
  '1qazxsw23edc',
  'zaq12wsxcde3',
  'zaq1zaq1zaq1',
  'qazwsxedcrfv',
  'qazwsxedc123',
  'qwerty123456',
  '123456qwerty',
  'qwertyuiop123',
  'qwertyqwerty',
  'qwer1234qwer',
  'asdf1234asdf',
  'asdfasdfasdf',
  'asdfghjkl123',
  'zxcvbnm12345',
  'abc123abc123',
  'abcd1234abcd',
  'abcd12345678',
  'abc123456789',
  'aa123456789',
  'a1b2c3d4e5f6',
  'password1234',
  'password12345',
  'password123456',
  'password123!',
  'password1234!',
  'passwordpassword',
  'iloveyou1234',
  'iloveyouiloveyou',
  'letmein12345',
  'welcome12345',
  'changeme1234',
  'administrator',
  'administrator1',
  'trustno1trustno1',
  'correcthorsebatterystaple',
  'thequickbrownfox',
  'thequickbrownfoxjumpsoverthelazydog',
  'starwars1234',
  'football1234',
  'liverpool1234',
  'manchesterunited',
  'manchesterunited1',
  'chelseafc1234',
  'arsenalfc1234',
  'blink182blink182',
  'michaeljordan',
  'ihateyou1234',
  'unitedkingdom',
  'greatbritain',
  'nopassword123',
  'mypassword123',
  'secretpassword',
  'supersecretpassword',
  'letmeinletmein',
  'qwertyuiopasdfghjkl',
  'princess1234',
  'sunshine1234',
  'computer1234',
  'internet1234',
]);

/** Common words and names people build passwords on, matched after padding is removed. */
const COMMON_WORDS = new Set([
  'password',
  'passwort',
  'pass',
  'qwerty',
  'qwertyuiop',
  'asdfgh',
  'asdfghjkl',
  'zxcvbnm',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'administrator',
  'root',
  'user',
  'login',
  'secret',
  'changeme',
  'default',
  'guest',
  'test',
  'monkey',
  'dragon',
  'master',
  'shadow',
  'superman',
  'batman',
  'starwars',
  'football',
  'baseball',
  'soccer',
  'hockey',
  'cricket',
  'rugby',
  'golf',
  'liverpool',
  'arsenal',
  'chelsea',
  'everton',
  'tottenham',
  'manchester',
  'manutd',
  'united',
  'london',
  'england',
  'britain',
  'scotland',
  'wales',
  'sunshine',
  'princess',
  'flower',
  'cookie',
  'chocolate',
  'summer',
  'winter',
  'spring',
  'autumn',
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'hello',
  'freedom',
  'whatever',
  'computer',
  'internet',
  'charlie',
  'michael',
  'jennifer',
  'jordan',
  'thomas',
  'hannah',
  'jessica',
  'daniel',
  'hunter',
  'ranger',
  'buster',
  'killer',
  'pepper',
  'ginger',
  'tigger',
  'maggie',
  'matrix',
  'trustno',
  'council',
  'civicdesk',
  'office',
  'work',
  'staff',
  'abc',
  'abcd',
  'qwer',
  'asdf',
  'zaq',
]);

/** Keyboard and counting runs: any 12-character stretch of these is refused. */
const SEQUENCES = [
  '0123456789012345678901234567890',
  'abcdefghijklmnopqrstuvwxyz',
  'qwertyuiopasdfghjklzxcvbnm',
  'qazwsxedcrfvtgbyhnujmikolp',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
];

const LEET: Record<string, string> = {
  '@': 'a',
  '4': 'a',
  '8': 'b',
  '(': 'c',
  '3': 'e',
  '6': 'g',
  '1': 'i',
  '!': 'i',
  '|': 'l',
  '0': 'o',
  $: 's',
  '5': 's',
  '7': 't',
  '+': 't',
  '2': 'z',
};

function isRepetitionOf(text: string, pieces: (piece: string) => boolean): boolean {
  for (let size = 1; size <= text.length / 2; size++) {
    if (text.length % size !== 0) continue;
    const piece = text.slice(0, size);
    if (piece.repeat(text.length / size) === text && pieces(piece)) return true;
  }
  return false;
}

/** The password is in the deny-list, or is a common word (or a repeated one) padded out. */
export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return true;
  if (new Set(lower).size <= 2) return true; // "aaaaaaaaaaaa", "abababababab"
  if (isRepetitionOf(lower, () => true) && new Set(lower).size <= 4) return true; // "abc1abc1abc1"
  for (const sequence of SEQUENCES) {
    const both = sequence + [...sequence].reverse().join('');
    if (both.includes(lower)) return true;
  }
  // Strip the padding people add (digits and symbols at either end, spaces anywhere), then undo
  // letter-for-digit swaps in what is left.
  const core = lower
    .replace(/\s+/g, '')
    .replace(/^[^a-z@$!|(]+/, '')
    .replace(/[^a-z]+$/, '');
  const letters = [...core].map((c) => LEET[c] ?? c).join('');
  const candidates = [core, letters, letters.replace(/[^a-z]/g, '')];
  return candidates.some(
    (candidate) =>
      candidate.length > 0 &&
      (COMMON_WORDS.has(candidate) ||
        COMMON_PASSWORDS.has(candidate) ||
        isRepetitionOf(candidate, (piece) => COMMON_WORDS.has(piece)) ||
        isTwoCommonWords(candidate)),
  );
}

function isTwoCommonWords(text: string): boolean {
  for (let i = 1; i < text.length; i++) {
    if (COMMON_WORDS.has(text.slice(0, i)) && COMMON_WORDS.has(text.slice(i))) return true;
  }
  return false;
}

/** The GOV.UK-style message for what is wrong with a new password, or undefined if it will do. */
export function newPasswordProblem(password: string, { email }: { email: string }): string | undefined {
  if (password.length === 0) return 'Enter a new password';
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    return `Password must be ${PASSWORD_MIN_LENGTH} characters or more`;
  }
  if ([...password].length > PASSWORD_MAX_LENGTH) {
    return `Password must be ${PASSWORD_MAX_LENGTH} characters or fewer`;
  }
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) {
    return 'Password must not be your email address';
  }
  if (isCommonPassword(password)) {
    return 'Password is too easy to guess: choose one that is not a common password or word';
  }
  return undefined;
}
