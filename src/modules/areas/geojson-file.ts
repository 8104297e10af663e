/**
 * Reading a GeoJSON file a person gave on the command line (or uploaded): the messages say what is wrong
 * in their terms (no such file; not valid JSON at line 3, column 16), not as a stack trace.
 */
import fs from 'node:fs/promises';

class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}

/**
 * Where JSON.parse gave up, as an offset. V8's own messages only sometimes say ("at position 52" in some,
 * a quoted snippet in others), so a small recursive-descent scan of the JSON grammar finds the first
 * character that cannot be right. Run only after JSON.parse has failed.
 */
function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const string = () => {
    i++; // the opening quote
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i]!)) i++;
        else fail();
      } else if (c < ' ') fail();
      else i++;
    }
    fail();
  };
  const scalar = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    scalar.lastIndex = i;
    if (!scalar.test(text)) fail();
    i = scalar.lastIndex;
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxAt) return error.offset;
    return undefined; // nesting too deep to scan: say nothing about where
  }
}

/** "unexpected "," at line 3, column 17", or "the file ends too soon". */
export function describeJsonError(text: string): string | undefined {
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return undefined;
  if (offset >= text.length) return 'the file ends before the JSON does';
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `unexpected ${JSON.stringify(text[offset])} at line ${line}, column ${column}`;
}

export async function readGeoJsonFile(
  file: string,
): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder, not a file'
            : (error as Error).message;
    return { ok: false, message: `cannot read ${file}: ${reason}` };
  }
  // A UTF-8 byte order mark (some Windows tools write one) is not JSON.
  text = text.replace(/^\uFEFF/, '');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const where = describeJsonError(text) ?? (error as Error).message.split('\n')[0];
    return { ok: false, message: `${file} is not valid JSON: ${where}` };
  }
}
