/**
 * README.md and the guides in docs/ ship in the npm package and are read on GitHub and npmjs.com.
 * Every relative link in them must reach a file that exists *and* ships (example/, test/ and
 * bench/ stay in the repository), and every `#anchor` must name a heading of its target, with
 * GitHub's slug rules. The checker is tested on small samples first, so a checker that
 * accepts everything cannot pass.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { describe, test } from 'node:test';

const root = resolve(__dirname, '..');

/** What npm always puts in a tarball, whatever `files` says. */
const ALWAYS_SHIPPED = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];

/** Text outside fenced code blocks, one entry per line (fenced lines become empty, keeping line numbers). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opening) {
      fence = opening[1];
      return '';
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      return '';
    }
    return line;
  });
}

/** Inline code spans hold examples, not links. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[^`]*?\1/g, '');
}

/** GitHub's heading slug: lower case, punctuation removed (letters, CJK, digits, `_`, `-` kept), spaces to `-`. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/(\*\*|__|\*)/g, '')
    .trim();
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: heading slugs (repeats get -1, -2, … as on GitHub) and HTML ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading?.[1] !== undefined) {
      const slug = githubSlug(heading[1]);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const id of withoutCodeSpans(line).matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) if (id[1]) anchors.add(id[1]);
  }
  return anchors;
}

/** Link targets in a Markdown file: inline links and images, reference definitions, and HTML href/src. */
function linksOf(markdown: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  proseLines(markdown).forEach((raw, index) => {
    const line = withoutCodeSpans(raw);
    const found = [
      ...[...line.matchAll(/!?\[(?:[^\]`]|`[^`]*`)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
      ...[...line.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/g)].map((m) => m[1]),
      ...[...line.matchAll(/\b(?:href|src)="([^"]+)"/g)].map((m) => m[1]),
    ];
    for (const target of found) if (target) links.push({ target, line: index + 1 });
  });
  return links;
}

/** Whether a path (relative to the package root, `/`-separated) is in the tarball, by package.json `files`. */
function isShipped(path: string, files: readonly string[]): boolean {
  if (ALWAYS_SHIPPED.includes(path)) return true;
  return files.some((entry) => {
    const pattern = entry.replace(/\/$/, '');
    if (pattern.includes('*')) {
      const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
      return regex.test(path);
    }
    return path === pattern || path.startsWith(`${pattern}/`);
  });
}

/** Problems with the links of one Markdown file; `read` gives another file's text (for its anchors). */
function linkProblems(file: string, markdown: string, files: readonly string[], read: (path: string) => string | undefined): string[] {
  const problems: string[] = [];
  const here = posix.dirname(file);
  for (const { target, line } of linksOf(markdown)) {
    const where = `${file}:${line} → ${target}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:, …
    const hash = target.indexOf('#');
    const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const path = pathPart === '' ? file : posix.normalize(posix.join(here, pathPart)).replace(/\/$/, '');
    if (path.startsWith('../') || path === '..') {
      problems.push(`${where}: points outside the package`);
      continue;
    }
    const text = read(path);
    if (text === undefined) {
      problems.push(`${where}: no such file`);
      continue;
    }
    if (!isShipped(path, files)) {
      problems.push(`${where}: ${path} is not in the npm package (package.json "files"), so the link is dead for npm users`);
      continue;
    }
    if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(text).has(anchor)) {
      problems.push(`${where}: no heading with the anchor #${anchor} in ${path}`);
    }
  }
  return problems;
}

function readFromDisk(path: string): string | undefined {
  const full = join(root, ...path.split('/'));
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

const packageFiles = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] }).files;

describe('the link checker', () => {
  const sample: Record<string, string> = {
    'README.md': '# Title\n\n## Options\n\n## Café & Crème (飞书 登录)\n\n## Options\n',
    'docs/guide.md': '# Guide\n\n## What `npm test` runs\n\n```sh\n# not a heading\n```\n',
    'example/app.ts': 'export {};\n',
    'lib/index.ts': 'export {};\n',
  };
  const read = (path: string): string | undefined => sample[path];
  const check = (file: string, markdown: string) => linkProblems(file, markdown, ['lib', 'docs/*.md'], read);

  test("makes GitHub's slugs: lower case, punctuation gone, CJK kept, repeats numbered", () => {
    assert.deepEqual([...anchorsOf(sample['README.md']!)], ['title', 'options', 'café--crème-飞书-登录', 'options-1']);
    assert.ok(anchorsOf(sample['docs/guide.md']!).has('what-npm-test-runs'));
    assert.ok(!anchorsOf(sample['docs/guide.md']!).has('not-a-heading'), 'a # line inside a code block is no heading');
  });

  test('accepts links to shipped files and their headings, and skips absolute URLs and code', () => {
    const markdown = '[a](docs/guide.md#what-npm-test-runs) [b](#options-1) [c](lib/index.ts) [d](https://example.com/x) `[e](nowhere.md)`\n';
    assert.deepEqual(check('README.md', markdown), []);
    assert.deepEqual(check('docs/guide.md', '[back](../README.md#café--crème-飞书-登录)\n'), []);
  });

  test('reports a missing file, a missing anchor, an unshipped file and a path out of the package', () => {
    assert.equal(check('README.md', '[x](docs/missing.md)\n').length, 1);
    assert.equal(check('README.md', '[x](docs/guide.md#nope)\n').length, 1);
    assert.equal(check('README.md', '[x](#nope)\n').length, 1);
    assert.match(check('README.md', '[x](example/app.ts)\n')[0] ?? '', /not in the npm package/);
    assert.equal(check('docs/guide.md', '[x](../../outside.md)\n').length, 1);
    assert.equal(check('docs/guide.md', '<img src="../example/app.ts">\n').length, 1);
    assert.equal(check('docs/guide.md', '[ref]: ../example/app.ts\n').length, 1);
  });
});

describe('README.md and docs/*.md', () => {
  const guides = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  const markdownFiles = ['README.md', ...guides];

  test('the guides ship with the package', () => {
    for (const file of markdownFiles) assert.ok(isShipped(file, packageFiles), `${file} is in package.json "files"`);
  });

  for (const file of markdownFiles) {
    test(`${file}: every relative link and #anchor resolves inside the package`, () => {
      const text = readFileSync(join(root, ...file.split('/')), 'utf8');
      assert.deepEqual(linkProblems(file, text, packageFiles, readFromDisk), []);
    });
  }

  test('every guide is reachable from the README, directly or through another guide', () => {
    const reached = new Set<string>(['README.md']);
    const queue = ['README.md'];
    while (queue.length > 0) {
      const file = queue.shift()!;
      const text = readFromDisk(file) ?? '';
      for (const { target } of linksOf(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const path = posix.normalize(posix.join(posix.dirname(file), target.split('#')[0] ?? ''));
        if (path.endsWith('.md') && !reached.has(path)) {
          reached.add(path);
          queue.push(path);
        }
      }
    }
    assert.deepEqual(guides.filter((guide) => !reached.has(guide)), []);
  });

  test('the README stays short (at most 15 KB) and names the two commands of a fresh clone', () => {
    const readme = readFileSync(join(root, 'README.md'));
    assert.ok(readme.length <= 15_360, `README.md is ${readme.length} bytes`);
    const text = readme.toString('utf8');
    assert.ok(text.includes('npm start') && text.includes('npm test'), 'README.md names `npm start` and `npm test`');
  });
});
