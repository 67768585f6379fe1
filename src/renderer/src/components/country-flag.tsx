import countries from 'i18n-iso-countries';
import en from 'i18n-iso-countries/langs/en.json';

countries.registerLocale(en);

/** The English name of an ISO 3166-1 alpha-2 code, or the code. */
export function countryName(code: string | null | undefined): string {
  if (!code) return 'Unknown';
  return countries.getName(code, 'en', { select: 'official' }) ?? code;
}

let emojiFlags: boolean | undefined;

/**
 * Whether this system draws flag emoji (regional indicator pairs). Windows
 * and Linux without a colour emoji font draw two letters instead; then the
 * code badge alone is clearer than a pair of boxes.
 */
function flagsSupported(): boolean {
  if (emojiFlags !== undefined) return emojiFlags;
  try {
    const c = document.createElement('canvas');
    c.width = c.height = 16;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    if (!ctx) return (emojiFlags = false);
    ctx.textBaseline = 'top';
    ctx.font = '14px sans-serif';
    ctx.fillText('\u{1F1E9}\u{1F1EA}', 0, 0);
    const d = ctx.getImageData(0, 0, 16, 16).data;
    // A colour glyph has pixels whose channels differ; monochrome fallbacks do not.
    let colour = false;
    for (let i = 0; i < d.length && !colour; i += 4) if (d[i + 3]! > 0 && (Math.abs(d[i]! - d[i + 1]!) > 30 || Math.abs(d[i + 1]! - d[i + 2]!) > 30)) colour = true;
    emojiFlags = colour;
  } catch {
    emojiFlags = false;
  }
  return emojiFlags;
}

export function flagEmoji(code: string): string {
  if (!/^[A-Za-z]{2}$/.test(code)) return '';
  return String.fromCodePoint(...[...code.toUpperCase()].map((ch) => 0x1f1e6 + ch.charCodeAt(0) - 65));
}

/** A country as a flag (where the system draws them) and its code, named in full for screen readers and tooltips. */
export function CountryFlag({ code, showName = false }: { code: string | null | undefined; showName?: boolean }) {
  if (!code) return <span className="country muted">—</span>;
  const name = countryName(code);
  return (
    <span className="country" title={name}>
      {flagsSupported() ? (
        <span className="flag" aria-hidden="true">
          {flagEmoji(code)}
        </span>
      ) : null}
      <span className="cc">{showName ? name : code.toUpperCase()}</span>
      {showName ? null : <span className="visually-hidden"> ({name})</span>}
    </span>
  );
}
