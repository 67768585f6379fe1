import { describe, expect, it } from 'vitest';
import { escapeHtml, inlineText, markdownToHtml, parseInline, parseMarkdown, safeHref } from '../../../src/shared/markdown';

describe('markdown subset', () => {
  it('renders the blocks analysts write', () => {
    const html = markdownToHtml(
      [
        '# Findings',
        '',
        'The attacker used **password spraying** and *then* `mimikatz`, ~~not~~ psexec.',
        'Second line of the paragraph.  ',
        'Hard break above.',
        '',
        '- first',
        '- second',
        '  - nested',
        '',
        '3. three',
        '4. four',
        '',
        '> quoted **text**',
        '',
        '```powershell',
        'Get-Process | ? { $_.Name -eq "lsass" }',
        '```',
        '',
        '| host | verdict |',
        '|:-----|--------:|',
        '| DC01 | owned |',
        '',
        '---',
      ].join('\n'),
    );
    expect(html).toContain('<h1>Findings</h1>');
    expect(html).toContain('<strong>password spraying</strong>');
    expect(html).toContain('<em>then</em>');
    expect(html).toContain('<code>mimikatz</code>');
    expect(html).toContain('<del>not</del>');
    expect(html).toContain('paragraph.<br>Hard break');
    expect(html).toContain('<ul><li>first</li><li><p>second</p>\n<ul><li>nested</li></ul></li></ul>');
    expect(html).toContain('<ol start="3"><li>three</li><li>four</li></ol>');
    expect(html).toContain('<blockquote><p>quoted <strong>text</strong></p></blockquote>');
    expect(html).toContain('<pre><code>Get-Process | ? { $_.Name -eq &quot;lsass&quot; }</code></pre>');
    expect(html).toContain('<th style="text-align:left">host</th><th style="text-align:right">verdict</th>');
    expect(html).toContain('<td style="text-align:left">DC01</td>');
    expect(html).toContain('<hr>');
  });

  it('keeps raw HTML as text and never emits a script, handler or unsafe link', () => {
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(2)>',
      '[click](javascript:alert(3))',
      '[data](data:text/html;base64,PHNjcmlwdD4=)',
      '<javascript:alert(4)>',
      '**<svg onload=alert(5)>**',
      '`</code><script>alert(6)</script>`',
      '```\n</pre><script>alert(7)</script>\n```',
      '| <script>x</script> | b |\n|---|---|\n| <img src=x> | c |',
      '[x](https://ok.example/"onmouseover="alert(8))',
    ].join('\n\n');
    const html = markdownToHtml(hostile);
    // Only the tags the renderer makes; text is escaped, so any other `<` is `&lt;`.
    const tags = [...html.matchAll(/<\/?([a-z0-9]+)[^>]*>/gi)];
    for (const [tag, name] of tags) {
      expect(['p', 'strong', 'em', 'code', 'pre', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'br']).toContain(name);
      expect(tag).not.toMatch(/\son[a-z]+=/i);
    }
    expect(html).not.toMatch(/href="(?!https?:|mailto:)/i);
    expect(html).not.toMatch(/javascript:alert\(3\)"/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('click (javascript:alert(3))');
    // Every attribute value we emit is quoted and escaped.
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^(https?:\/\/|mailto:)[^"<>]*$/);
  });

  it('links: http(s) and mailto only; text mode prints the URL instead of an anchor', () => {
    expect(safeHref('https://attack.mitre.org/techniques/T1110/')).toBe('https://attack.mitre.org/techniques/T1110/');
    expect(safeHref('mailto:soc@example.org')).toBe('mailto:soc@example.org');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('file:///etc/passwd')).toBeNull();
    expect(safeHref('//evil.example')).toBeNull();
    const md = 'See [T1110](https://attack.mitre.org/techniques/T1110/) and https://example.org/x.';
    expect(markdownToHtml(md)).toContain('<a href="https://attack.mitre.org/techniques/T1110/" rel="noopener noreferrer">T1110</a>');
    const text = markdownToHtml(md, { links: 'text' });
    expect(text).not.toContain('<a ');
    expect(text).toContain('T1110 <span class="url">(https://attack.mitre.org/techniques/T1110/)</span>');
    // Trailing sentence punctuation is not part of a bare URL.
    expect(text).toContain('<span class="url">https://example.org/x</span>.');
  });

  it('leaves snake_case, lone markers and escapes alone', () => {
    expect(inlineText(parseInline('process_name and file_path_x'))).toBe('process_name and file_path_x');
    expect(markdownToHtml('process_name_here')).toBe('<p>process_name_here</p>');
    expect(markdownToHtml('2 * 3 = 6 and a * b')).toBe('<p>2 * 3 = 6 and a * b</p>');
    expect(markdownToHtml('\\*not em\\*')).toBe('<p>*not em*</p>');
    expect(markdownToHtml('C:\\Windows\\System32')).toBe('<p>C:\\Windows\\System32</p>');
  });

  it('stays fast on pathological input (unmatched markers, deep nesting, huge text)', () => {
    const inputs = ['*'.repeat(100_000), '_a'.repeat(50_000), '['.repeat(50_000), '`'.repeat(30_000) + 'x', '> '.repeat(5000) + 'deep', '- '.repeat(3000) + 'x', '**a'.repeat(30_000)];
    for (const s of inputs) {
      const t0 = performance.now();
      const blocks = parseMarkdown(s);
      markdownToHtml(s);
      expect(blocks.length).toBeGreaterThan(0);
      // A generous bound: quadratic behaviour on 100k characters would take minutes.
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  });

  it('escapes all five HTML characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml(null)).toBe('');
  });
});
