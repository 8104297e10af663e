/**
 * Emails from plain-text templates with {{placeholders}}, which admins can edit safely: there is no
 * logic in them and nothing they write can run. The HTML part is built from the same text (paragraphs,
 * links), escaped, in a simple accessible layout, so the two versions never say different things.
 */

export const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/** Fills placeholders; unknown ones are listed so an admin editing a template can be told. */
export function fillTemplate(
  template: string,
  values: Record<string, string>,
): { text: string; unknown: string[] } {
  const unknown = new Set<string>();
  const text = template.replace(PLACEHOLDER, (_match, name: string) => {
    if (name in values) return values[name]!;
    unknown.add(name);
    return '';
  });
  return { text, unknown: [...unknown] };
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function linkify(escaped: string): string {
  return escaped.replace(
    /https?:\/\/[^\s<]+[^\s<.,;:!?)]/g,
    (url) => `<a href="${url}" style="color:#1d70b8">${url}</a>`,
  );
}

/** Paragraphs (blank-line separated) become <p>, single line breaks <br>, URLs links. */
export function textToHtml(text: string, { title, lang = 'en' }: { title: string; lang?: string }): string {
  const paragraphs = text
    .trim()
    .split(/\n{2,}/)
    .map((p) => `<p style="margin:0 0 16px 0">${linkify(escapeHtml(p)).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#ffffff">
<div role="article" aria-label="${escapeHtml(title)}" style="max-width:600px;margin:0 auto;padding:16px;font-family:Arial,sans-serif;font-size:19px;line-height:1.4;color:#0b0c0c">
${paragraphs}
</div>
</body>
</html>
`;
}
