/**
 * Jinja chat-template analysis (parsed with @huggingface/jinja, never
 * rendered) and the scanner for templates shipped outside GGUF
 * (tokenizer_config.json, chat_template.json, YAML configs, .jinja files),
 * on the fixtures of scripts/make-gguf-fixtures.mjs and on templates written
 * here: each attack class is CRITICAL whatever its spelling, real-world
 * templates stay clean, and nothing the analysis is given can hang or crash it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chatTemplateFormat } from '../src/formats/chat-template/index.js';
import { walkJson } from '../src/formats/config/json.js';
import { pathString } from '../src/formats/config/scalars.js';
import { walkYaml } from '../src/formats/config/yaml.js';
import { type ScanResult, scan } from '../src/scan/scan.js';
import { analyzeTemplate, type TemplateIssue } from '../src/templates/analyze.js';

const FIXTURES = new URL('fixtures/chat-template/', import.meta.url).pathname;
const GGUF_FIXTURES = new URL('fixtures/gguf/', import.meta.url).pathname;

const rows = (r: ScanResult): string[] =>
  r.issues
    .map((i) => `${i.severity} ${i.rule} @${i.position}${i.source.includes(':') ? ` ${i.source.slice(i.source.indexOf(':'))}` : ''}`)
    .sort();
const scanFixture = (name: string): Promise<ScanResult> => scan([join(FIXTURES, name)]);
const fixtureText = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** `SEVERITY rule` of each issue. */
const judged = (issues: TemplateIssue[]): string[] => issues.map((i) => `${i.severity} ${i.rule}`);
const critical = (template: string): void => {
  const issues = analyzeTemplate(template);
  assert.ok(
    issues.some((i) => i.severity === 'CRITICAL' && i.rule === 'template/ssti'),
    `${template}\n→ ${JSON.stringify(issues, null, 1)}`,
  );
};
const clean = (template: string): void => assert.deepEqual(analyzeTemplate(template), [], template);

describe('template analysis: attacks', () => {
  it('dunder and private attributes, spelled out', () => {
    critical("{{ ''.__class__.__mro__[1].__subclasses__() }}");
    critical('{{ loop.__class__ }}');
    critical("{{ c()._module.__builtins__['__import__']('os') }}");
    critical('{% set ns.__dict__ = 1 %}');
  });

  it('Jinja and framework globals used as objects', () => {
    critical("{{ cycler.__init__.__globals__.os.popen('id').read() }}");
    critical('{% set c = joiner %}{{ c }}');
    critical("{{ lipsum.__globals__['os'] }}");
    critical('{{ namespace.__init__ }}');
    critical('{{ self._TemplateReference__context }}');
    critical('{{ config.items() }}');
    critical("{{ request.environ['HTTP_HOST'] }}");
  });

  it('names built from pieces: ~, +, *, %, |format, |join, |replace, |reverse, slices, .format fill, chr', () => {
    critical("{{ ''['__cla' ~ 'ss__'] }}");
    critical("{% set u = '_' * 2 %}{{ x[u + 'class' + u] }}");
    critical("{{ x|attr('%c%cclass%c%c' % (95, 95, 95, 95)) }}");
    critical("{{ x|attr('%s%sclass%s%s'|format('_', '_', '_', '_')) }}");
    critical("{{ x|attr(['_', '_', 'class', '_', '_']|join) }}");
    critical("{{ x|attr('-|class-|'|replace('-', '_')|replace('|', '_')) }}");
    critical("{{ x[('ssalc' ~ '_' ~ '_')|reverse ~ '__'] }}");
    critical("{{ x['__xclass__'[0:2] ~ 'class' ~ '__'] }}");
    critical("{{ x|attr('{:_^9}'.format('class')) }}");
    critical("{{ x|attr('class'.center(9, '_')) }}");
    critical("{{ x[''.join([chr(95), chr(95), 'class', chr(95), chr(95)])] }}");
  });

  it('names carried by variables: set, set blocks, tuples, namespaces, dict literals, loop items', () => {
    critical("{% set a = '__cla' %}{% set b = 'ss__' %}{{ x[a ~ b] }}");
    critical('{% set a %}_{% endset %}{{ x[a ~ a ~ "class" ~ a ~ a] }}');
    critical("{% set a, b = '_', 'class' %}{{ x[a ~ a ~ b ~ a ~ a] }}");
    critical("{% set ns = namespace(k='__cla' ~ 'ss__') %}{{ x[ns.k] }}");
    critical("{% set d = {'k': '_' ~ '_init' ~ '__'} %}{{ x[d.k] }}");
    critical("{% for k in ['_' ~ '_class__'] %}{{ x|attr(k) }}{% endfor %}");
  });

  it('escapes: \\x and \\u (parsed), octal and \\N{LOW LINE} (token fallback)', () => {
    critical("{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}");
    critical("{{ x['\\u005f\\u005fclass\\u005f\\u005f'] }}");
    const octal = analyzeTemplate("{{ x['\\137\\137class\\137\\137'] }}");
    assert.deepEqual(judged(octal), ['LOW template/unparsed', 'CRITICAL template/ssti']);
    const named = analyzeTemplate("{{ x['\\N{LOW LINE}\\N{LOW LINE}class\\N{LOW LINE}\\N{LOW LINE}'] }}");
    assert.deepEqual(judged(named), ['LOW template/unparsed', 'CRITICAL template/ssti']);
  });

  it('|attr with a computed name, attribute-taking filters, str.format fields, getattr-like calls', () => {
    critical('{{ x|attr(message.content) }}');
    critical("{{ messages|map(attribute='__class__')|list }}");
    critical("{{ messages|map('attr', '__class__')|list }}");
    critical("{{ messages|selectattr('role.__class__') }}");
    critical("{{ messages|sort(attribute='_private') }}");
    critical("{{ '{0.__class__.__init__}'.format(x) }}");
    critical("{{ '{0._module}'.format(x) }}");
    critical("{{ getattr('', '__class__') }}");
    critical('{{ dict(__class__=1) }}');
  });

  it('computed keys and format strings it cannot resolve are HIGH, not silent', () => {
    assert.deepEqual(judged(analyzeTemplate("{{ x[message.content ~ '_x'] }}")), ['HIGH template/computed-attribute']);
    assert.deepEqual(judged(analyzeTemplate('{{ message.content.format(x) }}')), ['HIGH template/computed-attribute']);
    assert.deepEqual(judged(analyzeTemplate('{{ messages|selectattr(message.content) }}')), ['HIGH template/computed-attribute']);
    assert.deepEqual(judged(analyzeTemplate('{{ eval(x) }}')), ['HIGH template/ssti']);
  });

  it('resource exhaustion: huge ranges, repetitions and powers', () => {
    assert.deepEqual(judged(analyzeTemplate('{% for i in range(10 ** 9) %}{% endfor %}')), ['CRITICAL template/dos']);
    assert.deepEqual(judged(analyzeTemplate("{{ 'x' * 1000000000 }}")), ['CRITICAL template/dos']);
    assert.deepEqual(judged(analyzeTemplate('{{ 9 ** 99999999 }}')), ['CRITICAL template/dos']);
  });

  it('the whole statement is shown, once per statement, with every reason', () => {
    const [i] = analyzeTemplate("{% for m in messages %}{{ cycler.__init__.__globals__.os.popen('id').read() }}{% endfor %}");
    assert.equal(i.expression, "{{ cycler.__init__.__globals__.os.popen('id').read() }}");
    assert.deepEqual(i.reasons, [
      "uses the Jinja global 'cycler' as an object (a path to its __globals__)",
      "reads the attribute '__init__'",
      "reads the attribute '__globals__'",
    ]);
    assert.equal(i.needle, 'cycler');
  });
});

describe('template analysis: benign templates stay clean', () => {
  it('real-world templates (Llama 3.1, Qwen 3, Hermes tools, Mistral, Gemma 3)', async () => {
    for (const name of ['tokenizer_config.json', 'tokenizer_config-qwen3.json', 'chat_template.json']) {
      const doc = JSON.parse(await fixtureText(name)) as { chat_template: string };
      clean(doc.chat_template);
    }
    clean(await fixtureText('chat.jinja'));
  });

  it('namespace(), joiner(), cycler() called plainly; ordinary filters, tests, slices and arithmetic', () => {
    clean(
      '{% set ns = namespace(found=false, idx=0) %}{% for m in messages %}{% set ns.found = true %}{% set ns.idx = ns.idx + 1 %}{% endfor %}{{ ns.found }}',
    );
    clean("{% set sep = joiner(', ') %}{% for m in messages %}{{ sep() }}{{ m.role }}{% endfor %}");
    clean("{% set c = cycler('odd', 'even') %}{% for m in messages %}{{ c.next() }}{{ loop.cycle('a', 'b') }}{% endfor %}");
    clean("{{ messages|selectattr('role', 'equalto', 'system')|map(attribute='content')|join('\\n') }}");
    clean(
      '{% for m in messages[::-1] %}{{ messages[loop.index0 - 1].role }}{{ m.content.split("</think>")[-1].lstrip("\\n") }}{% endfor %}',
    );
    clean("{{ raise_exception('Conversation roles must alternate user/assistant') }}{{ strftime_now('%d %b %Y') }}");
    clean('{% for i in range(3) %}{{ i }}{% endfor %}{{ "_" ~ message.role ~ "_" }}');
    clean("{% set config = {'a': 1} %}{{ config.a }}");
    clean("{{ '__init__ is mentioned in text' if false }}{{ 'a' ~ '__call__' if x else 'b' }}{% if x.role == '__main__' %}{% endif %}");
  });

  it('every benign corpus-style template shape: empty, text only, comments', () => {
    clean('');
    clean('plain text, no tags at all');
    clean('{# a comment with __class__ in it #}{{ bos_token }}');
  });
});

describe('template analysis: robustness', () => {
  it('a raw block is text to jinja2: unparsed LOW, nothing more', () => {
    assert.deepEqual(judged(analyzeTemplate('{% raw %}{{ x.__class__ }}{% endraw %}{{ bos_token }}')), ['LOW template/unparsed']);
  });

  it('long whitespace runs do not trigger the parser library’s quadratic regex', () => {
    const started = performance.now();
    const issues = analyzeTemplate(`${' '.repeat(300_000)}{{ cycler.__init__ }}${'\n'.repeat(300_000)}`);
    assert.ok(performance.now() - started < 3000);
    assert.deepEqual(judged(issues), ['CRITICAL template/ssti']);
  });

  it('nesting deeper than the analysis goes is MEDIUM unparsed and still token-checked', () => {
    const deep = `{{ ${'('.repeat(3000)}x.__class__${')'.repeat(3000)} }}`;
    assert.deepEqual(judged(analyzeTemplate(deep)), ['MEDIUM template/unparsed', 'CRITICAL template/ssti']);
    const chain = `{{ x${'.y'.repeat(50_000)}.__globals__ }}`;
    assert.deepEqual(judged(analyzeTemplate(chain)), ['MEDIUM template/unparsed', 'CRITICAL template/ssti']);
  });

  it('a large benign template is analysed in reasonable time', () => {
    const body = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] }}{% endfor %}";
    const started = performance.now();
    clean(body.repeat(5000));
    assert.ok(performance.now() - started < 5000);
  });
});

describe('chat templates outside GGUF (found by content)', () => {
  it('tokenizer_config.json with an SSTI template: CRITICAL at the template string, named chat_template', async () => {
    const name = 'tokenizer_config-ssti.json';
    const text = await fixtureText(name);
    const at = Buffer.byteLength(text.slice(0, text.indexOf('"{% for c in')) + 1);
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`CRITICAL template/ssti @${at}`, `CRITICAL template/ssti @${at}`, `CRITICAL template/ssti @${at}`]);
    assert.ok(r.issues.every((i) => i.details?.template === 'chat_template' && i.scanner === 'modelscan.scanners.ChatTemplateScan'));
  });

  it('the list form [{name, template}]: the malicious one is named chat_template.<name>', async () => {
    const r = await scanFixture('tokenizer_config-named-list.json');
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0].details?.template, 'chat_template.tool_use');
    assert.equal(r.issues[0].severity, 'CRITICAL');
  });

  it('a template hidden behind \\u escapes (braces and key) is decoded as JSON decodes it', async () => {
    const r = await scanFixture('chat_template-escaped.json');
    assert.deepEqual(rows(r), ['CRITICAL template/ssti @24']);
  });

  it('YAML configs: a double-quoted scalar with \\x escapes and another Jinja-bearing key', async () => {
    const name = 'serving.yaml';
    const text = await fixtureText(name);
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [
      `CRITICAL template/ssti @${text.indexOf('{{ cycler')}`,
      `CRITICAL template/ssti @${text.indexOf('"{% for') + 1}`,
    ]);
    assert.deepEqual(r.issues.map((i) => i.details?.template).sort(), ['prompt.chat_template', 'prompt.deploy_hook']);
  });

  it('.jinja files: the construct is placed exactly', async () => {
    const name = 'evil.jinja';
    const text = await fixtureText(name);
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`CRITICAL template/ssti @${Buffer.byteLength(text.slice(0, text.indexOf('self._Template')))}`]);
  });

  it('a text file of any name whose Jinja reaches Python internals is claimed', async () => {
    const r = await scanFixture('notes.txt');
    assert.deepEqual(rows(r), ['CRITICAL template/ssti @23']);
  });

  it('benign configs and templates are clean', async () => {
    for (const name of ['tokenizer_config.json', 'tokenizer_config-qwen3.json', 'chat_template.json', 'model_config.yaml', 'chat.jinja']) {
      const r = await scanFixture(name);
      assert.deepEqual(r.issues, [], name);
      assert.deepEqual(r.skipped, [], name);
    }
  });

  it('JSON, YAML and HTML without a chat template are not claimed', async () => {
    for (const name of ['config.json', 'tokenizer_config-null-template.json', 'page.html']) {
      const r = await scanFixture(name);
      assert.deepEqual(r.issues, [], name);
      assert.equal(r.skipped.length, 1, name);
    }
  });

  it('invalid JSON holding a chat template is malformed, never clean', async () => {
    const r = await scanFixture('tokenizer_config-truncated.json');
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0].rule, 'chat-template/malformed');
    assert.equal(r.issues[0].severity, 'MEDIUM');
    assert.match(r.issues[0].description, /unterminated string/);
  });

  it('a raw block in a .jinja file: LOW unparsed only', async () => {
    assert.deepEqual(rows(await scanFixture('raw-block.jinja')), ['LOW template/unparsed @0']);
  });

  it('a text pickle carrying a template is judged as the pickle it is', async () => {
    const r = await scanFixture('tokenizer-state.pkl');
    assert.deepEqual(rows(r), ['CRITICAL pickle/unsafe-global @0']);
  });

  it('detects text only', async () => {
    assert.equal(chatTemplateFormat.detect(Buffer.from('{"chat_template": "x"}'), 22), true);
    assert.equal(chatTemplateFormat.detect(await readFile(join(GGUF_FIXTURES, 'benign-v1.gguf')), 100), false);
    assert.equal(chatTemplateFormat.detect(Buffer.from([0x7b, 0x00, 0x7d]), 3), false);
  });
});

describe('the config readers chat templates are found with', () => {
  const leaves = (walk: typeof walkJson, text: string): [string, string, number][] => {
    const out: [string, string, number][] = [];
    walk(text, (s) => {
      if (s.text) out.push([pathString(s.path), s.value, s.at]);
    });
    return out;
  };

  it('JSON: escapes decoded, string positions after the quote, duplicate keys kept', () => {
    assert.deepEqual(leaves(walkJson, '{"a": NaN, "b": [1, -Infinity], "t": "x\\u0041", "t": "y"}'), [
      ['t', 'xA', 38],
      ['t', 'y', 54],
    ]);
  });

  it('YAML: plain, quoted (folded, escaped), block scalars, sequence items and nested keys', () => {
    const text = [
      'a: plain value # comment',
      "b: 'it''s",
      "  folded'",
      'c: "x\\x5fy\\',
      '  z"',
      'd:',
      '  e: |',
      '    line1',
      '      line2',
      '  f: >-',
      '    one',
      '    two',
      'g:',
      '  - name: first',
      '    template: "{{ t }}"',
      '  - "item"',
    ].join('\n');
    assert.deepEqual(
      leaves(walkYaml, text).map(([path, value]) => [path, value]),
      [
        ['a', 'plain value'],
        ['b', "it's folded"],
        ['c', 'x_yz'],
        ['d.e', 'line1\n  line2\n'],
        ['d.f', 'one two'],
        ['g[0].name', 'first'],
        ['g[0].template', '{{ t }}'],
        ['g[1]', 'item'],
      ],
    );
  });
});
