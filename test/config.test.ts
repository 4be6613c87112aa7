/**
 * The config format: JSON, YAML and XML configs and manifests shipped with
 * models (transformers configs, Hydra configs, MLmodel, OpenVINO/PMML XML),
 * found by content. Custom code that loaders run, callables they import,
 * script URLs, YAML python tags, XML entities and credentials (always
 * masked) are reported exactly; benign configs stay clean and unclaimed;
 * no input makes the readers throw anything but a syntax error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findTokens, keyedSecret, mask, safeUrl } from '../src/formats/config/credentials.js';
import { configFormat } from '../src/formats/config/index.js';
import { walkJson } from '../src/formats/config/json.js';
import { ConfigSyntaxError, type Segment } from '../src/formats/config/scalars.js';
import { judgeTarget, TARGET_ROOTS } from '../src/formats/config/targets.js';
import { walkXml } from '../src/formats/config/xml.js';
import { walkYaml } from '../src/formats/config/yaml.js';
import { FORMATS } from '../src/formats/registry.js';
import { DEFAULT_POLICY } from '../src/pickle/policy.js';
import { jsonReport } from '../src/report/json.js';
import { type ScanResult, scan } from '../src/scan/scan.js';
import { routeBytes, scanBytes } from './helpers/scan-bytes.js';

const FIXTURES = new URL('fixtures/config/', import.meta.url).pathname;
const CONFIG_SCANNER = 'modelscan.scanners.ConfigScan';

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const scanFixture = (name: string): Promise<ScanResult> => scan([join(FIXTURES, name)]);
/** Byte offset of the first character after `needle` (the start of a quoted value when the needle ends with its quote). */
const after = (text: string, needle: string): number => {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `'${needle}' not in the fixture`);
  return Buffer.byteLength(text.slice(0, i + needle.length));
};
/** Byte offset where `needle` starts. */
const at = (text: string, needle: string): number => after(text, needle) - Buffer.byteLength(needle);
const rows = (r: ScanResult): string[] => r.issues.map((i) => `${i.severity} ${i.rule} ${i.module} | ${i.operator} @${i.position}`).sort();

const route = routeBytes;

describe('config: custom code that loaders run', () => {
  it('a transformers config.json with auto_map: one MEDIUM per entry, naming the .py files, at each value', async () => {
    const text = fixture('config-auto_map.json');
    const r = await scanFixture('config-auto_map.json');
    assert.deepEqual(rows(r), [
      `MEDIUM config/remote-code auto_map.AutoConfig | configuration_foo.FooConfig @${after(text, '"AutoConfig": "')}`,
      `MEDIUM config/remote-code auto_map.AutoModel | modeling_foo.FooModel @${after(text, '"AutoModel": "')}`,
      `MEDIUM config/remote-code auto_map.AutoModelForCausalLM | modeling_foo.FooForCausalLM @${after(text, '"AutoModelForCausalLM": "')}`,
    ]);
    const model = r.issues.find((i) => i.module === 'auto_map.AutoModel')!;
    assert.equal(model.scanner, CONFIG_SCANNER);
    assert.deepEqual(model.details, { files: ['modeling_foo.py'], classes: ['FooModel'] });
    assert.match(model.description, /names custom code \(modeling_foo\.py\).*trust_remote_code=True/);
    assert.deepEqual(r.scanned, ['config-auto_map.json']);
  });

  it('repo--module.Class references name the other repository; trust_remote_code: true is MEDIUM too', async () => {
    const text = fixture('config-cross-repo.json');
    const r = await scanFixture('config-cross-repo.json');
    assert.deepEqual(rows(r), [
      `MEDIUM config/remote-code auto_map.AutoConfig | other-org/shared-code--configuration_bar.BarConfig @${after(text, '"AutoConfig": "')}`,
      `MEDIUM config/remote-code auto_map.AutoModel | other-org/shared-code--modeling_bar.BarModel @${after(text, '"AutoModel": "')}`,
      `MEDIUM config/remote-code trust_remote_code | trust_remote_code @${after(text, '"trust_remote_code": ')}`,
    ]);
    const model = r.issues.find((i) => i.module === 'auto_map.AutoModel')!;
    assert.deepEqual(model.details, { files: ['modeling_bar.py'], classes: ['BarModel'], repositories: ['other-org/shared-code'] });
    assert.match(model.description, /modeling_bar\.py from the other repository 'other-org\/shared-code'/);
  });

  it('a tokenizer_config.json with auto_map and a chat template gets both analyses; the tokenizer list form is one finding', async () => {
    const text = fixture('tokenizer_config-auto_map.json');
    const r = await scanFixture('tokenizer_config-auto_map.json');
    assert.deepEqual(rows(r), [
      `CRITICAL template/ssti  |  @${after(text, '"chat_template": "')}`,
      `MEDIUM config/remote-code auto_map.AutoTokenizer | tokenization_foo.FooTokenizer, tokenization_foo_fast.FooTokenizerFast @${after(text, '"AutoTokenizer": [\n      "')}`,
    ]);
    const ssti = r.issues.find((i) => i.rule === 'template/ssti')!;
    assert.equal(ssti.scanner, 'modelscan.scanners.ChatTemplateScan');
    assert.equal(ssti.details?.template, 'chat_template');
    const code = r.issues.find((i) => i.rule === 'config/remote-code')!;
    assert.deepEqual(code.details?.files, ['tokenization_foo.py', 'tokenization_foo_fast.py']);
  });

  it('custom_pipelines impl names the pipeline file', async () => {
    const text = fixture('custom_pipeline_config.json');
    assert.deepEqual(rows(await scanFixture('custom_pipeline_config.json')), [
      `MEDIUM config/remote-code custom_pipelines.pair-classification.impl | pair_classification.PairClassificationPipeline @${after(text, '"impl": "')}`,
    ]);
  });
});

describe('config: callables Hydra and MLflow import', () => {
  it('a Hydra config: library targets pass, a project target is HIGH, subprocess.run CRITICAL, the script URL MEDIUM', async () => {
    const text = fixture('hydra-train.yaml');
    const r = await scanFixture('hydra-train.yaml');
    assert.deepEqual(rows(r), [
      `CRITICAL config/callable-target hooks.on_load._target_ | subprocess.run @${at(text, 'subprocess.run')}`,
      `HIGH config/callable-target trainer.callbacks[1]._target_ | my_project.callbacks.SlackNotifier @${at(text, 'my_project')}`,
      `MEDIUM config/executable-url hooks.on_load.args[0] | https://example.invalid/payload.sh @${at(text, 'curl -s')}`,
    ]);
    assert.match(
      r.issues.find((i) => i.severity === 'CRITICAL')!.description,
      /Hydra _target_ 'subprocess\.run' at 'hooks\.on_load\._target_' runs commands/,
    );
  });

  it('a Hydra config naming only library callables is scanned and clean', async () => {
    const r = await scanFixture('hydra-benign.yaml');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.scanned, ['hydra-benign.yaml']);
  });

  it('MLmodel: an mlflow loader_module is clean, a custom one HIGH', async () => {
    const benign = await scanFixture('mlflow-sklearn/MLmodel');
    assert.deepEqual(benign.issues, []);
    assert.deepEqual(benign.scanned, ['MLmodel']);
    const text = fixture('mlflow-custom/MLmodel');
    const custom = await scanFixture('mlflow-custom/MLmodel');
    assert.deepEqual(rows(custom), [
      `HIGH config/callable-target flavors.python_function.loader_module | model_loader @${after(text, 'loader_module: ')}`,
    ]);
  });

  it('the allowlist: exact package roots, the deny list first, name resolvers and interpolations HIGH', () => {
    assert.deepEqual(TARGET_ROOTS, [
      'accelerate',
      'catboost',
      'datasets',
      'diffusers',
      'einops',
      'flax',
      'hydra',
      'jax',
      'keras',
      'lightgbm',
      'lightning',
      'lightning_fabric',
      'mlflow',
      'nemo',
      'numpy',
      'omegaconf',
      'open_clip',
      'optax',
      'pandas',
      'peft',
      'pytorch_lightning',
      'scipy',
      'sentence_transformers',
      'sklearn',
      'tensorflow',
      'timm',
      'tokenizers',
      'torch',
      'torchaudio',
      'torchmetrics',
      'torchtext',
      'torchvision',
      'transformers',
      'trl',
      'xgboost',
    ]);
    const sev = (t: string) => judgeTarget(t, DEFAULT_POLICY)?.severity ?? 'allowed';
    assert.equal(sev('torch.optim.AdamW'), 'allowed');
    assert.equal(sev('sklearn.linear_model.LogisticRegression'), 'allowed');
    assert.equal(sev('torchfoo.Model'), 'HIGH');
    assert.equal(sev('my_project.models.Net'), 'HIGH');
    assert.equal(sev('torch.load'), 'CRITICAL');
    assert.equal(sev('torch.hub.load'), 'CRITICAL');
    assert.equal(sev('numpy.load'), 'HIGH');
    assert.equal(sev('os.system'), 'CRITICAL');
    assert.equal(sev('posix.system'), 'CRITICAL');
    assert.equal(sev('subprocess.Popen'), 'CRITICAL');
    assert.equal(sev('builtins.eval'), 'CRITICAL');
    assert.equal(sev('builtins.exec'), 'CRITICAL');
    assert.equal(sev('eval'), 'CRITICAL');
    assert.equal(sev('hydra.utils.get_method'), 'HIGH');
    const interpolated = ['$', '{model.target}'].join('');
    assert.equal(sev(interpolated), 'HIGH');
    assert.match(judgeTarget(interpolated, DEFAULT_POLICY)!.why, /interpolation/);
  });
});

describe('config: YAML tags that PyYAML constructs', () => {
  it('apply of os.system CRITICAL, name of subprocess.Popen HIGH, an object of a project class HIGH; tuples nothing', async () => {
    const text = fixture('unsafe-pyyaml.yaml');
    assert.deepEqual(rows(await scanFixture('unsafe-pyyaml.yaml')), [
      `CRITICAL config/yaml-python-tag preprocess | os.system @${after(text, 'preprocess: ')}`,
      `HIGH config/yaml-python-tag factory | subprocess.Popen @${after(text, 'factory: ')}`,
      `HIGH config/yaml-python-tag sampler | my_project.data.Sampler @${after(text, 'sampler: ')}`,
    ]);
  });

  it('%TAG handles, verbatim tags and %-escapes resolve as PyYAML resolves them', async () => {
    const handle = await route('a.yaml', '%TAG !py! tag:yaml.org,2002:python/\n---\nx: !py!object/apply:os.system [id]\n');
    assert.deepEqual(
      handle.findings.map((f) => `${f.severity} ${f.rule} ${f.operator}`),
      ['CRITICAL config/yaml-python-tag os.system'],
    );
    const verbatim = await route('b.yaml', 'cmd: !<tag:yaml.org,2002:python/object/apply:subprocess.call> [[ls]]\n');
    assert.deepEqual(
      verbatim.findings.map((f) => `${f.severity} ${f.operator}`),
      ['CRITICAL subprocess.call'],
    );
    const escaped = await route('c.yaml', 'cmd: !!python/object/apply:os%2Esystem [id]\n');
    assert.deepEqual(
      escaped.findings.map((f) => `${f.severity} ${f.operator}`),
      ['CRITICAL os.system'],
    );
  });

  it('YAML this reader rejects still has its python tags reported', async () => {
    const r = await route('broken.yaml', 'run: !!python/object/apply:os.system ["id"]\n? complex\n: key\n');
    assert.deepEqual(
      r.findings.map((f) => `${f.severity} ${f.rule} ${f.operator}`),
      ['CRITICAL config/yaml-python-tag os.system'],
    );
    assert.equal(r.format, 'config');
  });
});

describe('config: XML', () => {
  it('entity declarations are MEDIUM (billion laughs), at the first declaration', async () => {
    const text = fixture('entities.xml');
    const r = await scanFixture('entities.xml');
    assert.deepEqual(rows(r), [`MEDIUM config/xml-entity DOCTYPE | lol @${after(text, '[\n  ')}`]);
    assert.deepEqual(r.issues[0].details, { entities: 3, names: ['lol', 'lol2', 'lol3'] });
  });

  it('an external entity is HIGH (XXE)', async () => {
    const text = fixture('xxe.xml');
    const r = await scanFixture('xxe.xml');
    assert.deepEqual(rows(r), [`HIGH config/xml-external-entity DOCTYPE | xxe @${after(text, '[\n  ')}`]);
    assert.equal(r.issues[0].details?.uri, 'file:///etc/passwd');
  });

  it('declarations before a syntax error still count (parsers expand them first); an external DTD is MEDIUM', async () => {
    const broken = await route(
      'x.xml',
      '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/evil.dtd"> %p;]>\n<r><a></r>',
    );
    assert.deepEqual(
      broken.findings.map((f) => `${f.severity} ${f.rule} ${f.operator}`),
      ['HIGH config/xml-external-entity p'],
    );
    const dtd = await route('y.xml', '<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><r>x</r>');
    assert.deepEqual(
      dtd.findings.map((f) => `${f.severity} ${f.rule} ${f.operator}`),
      ['MEDIUM config/xml-entity DOCTYPE'],
    );
  });

  it('an OpenVINO IR without a DOCTYPE is left alone; values in XML get the credential check', async () => {
    const r = await scanFixture('model.xml');
    assert.deepEqual(r.issues, []);
    assert.equal(r.skipped.length, 1);
    const hadoop = await route(
      'core-site.xml',
      `<configuration><property name="fs.s3a.secret.key" value="${'Zq9'.repeat(12)}"/><property name="fs.s3a.endpoint" value="s3.example.invalid"/></configuration>`,
    );
    assert.deepEqual(
      hadoop.findings.map((f) => `${f.severity} ${f.rule} ${f.module} ${f.details?.masked}`),
      ['HIGH config/credential configuration.property.fs.s3a.secret.key Zq…(36 chars)'],
    );
  });
});

describe('config: URLs to scripts and executables', () => {
  it('.sh and .exe are MEDIUM; weights (.bin, .safetensors) and pages are not; user info and query never shown', async () => {
    const text = fixture('urls.json');
    const r = await scanFixture('urls.json');
    assert.deepEqual(rows(r), [
      `MEDIUM config/executable-url setup.helper | https://downloads.example.invalid/tools/helper.exe @${after(text, '"helper": "')}`,
      `MEDIUM config/executable-url setup.install | https://example.invalid/install.sh @${after(text, '"install": "')}`,
    ]);
    const report = JSON.stringify(r);
    for (const hidden of ['hunter2', 'abc123', 'frag']) assert.ok(!report.includes(hidden), hidden);
    assert.equal(safeUrl('https://u:p@h.example/a/b.sh?x=1#y'), 'https://h.example/a/b.sh');
  });
});

describe('config: credentials', () => {
  it('every kind is HIGH at its value, masked as prefix + two characters + length', async () => {
    const text = fixture('credentials.json');
    const r = await scanFixture('credentials.json');
    const value = (key: string) => after(text, `"${key}": "`);
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule} ${i.module} | ${i.operator} | ${i.details?.masked} @${i.position}`).sort(),
      [
        `HIGH config/credential ci.fine_grained | GitHub fine-grained token | github_pat_rE…(93 chars) @${value('fine_grained')}`,
        `HIGH config/credential ci.github_token | GitHub token | ghp_sM…(40 chars) @${value('github_token')}`,
        `HIGH config/credential database.password | secret under 'password' | Tr…(14 chars) @${value('password')}`,
        `HIGH config/credential deployment.aws_access_key_id | AWS access key id | AKIAU…(20 chars) @${value('aws_access_key_id')}`,
        `HIGH config/credential deployment.aws_secret_access_key | AWS secret access key | El…(40 chars) @${value('aws_secret_access_key')}`,
        `HIGH config/credential hub.token | Hugging Face token | hf_Ku…(37 chars) @${value('token')}`,
        `HIGH config/credential notify.slack_bot | Slack token | xoxb-22…(55 chars) @${value('slack_bot')}`,
        `HIGH config/credential openai.api_key | OpenAI API key | sk-pr…(72 chars) @${value('api_key')}`,
        `HIGH config/credential openai.legacy_key | OpenAI API key | sk-fo…(51 chars) @${value('legacy_key')}`,
        `HIGH config/credential signing.private_key | private key | -----BEGIN RSA PRIVATE KEY-----…(451 chars) @${value('private_key')}`,
      ],
    );
  });

  it('no credential value appears unmasked anywhere in the JSON report', async () => {
    const dir = FIXTURES;
    const r = await scan([join(dir, 'credentials.json'), join(dir, 'deploy.yaml')]);
    assert.equal(r.issues.filter((i) => i.rule === 'config/credential').length, 12);
    const doc = JSON.parse(fixture('credentials.json'));
    const deploy = fixture('deploy.yaml');
    const secrets: [string, string][] = [
      ['deployment.aws_access_key_id', doc.deployment.aws_access_key_id],
      ['deployment.aws_secret_access_key', doc.deployment.aws_secret_access_key],
      ['hub.token', doc.hub.token],
      ['ci.github_token', doc.ci.github_token],
      ['ci.fine_grained', doc.ci.fine_grained],
      ['openai.api_key', doc.openai.api_key],
      ['openai.legacy_key', doc.openai.legacy_key],
      ['notify.slack_bot', doc.notify.slack_bot],
      ['signing.private_key', doc.signing.private_key],
      ['database.password', doc.database.password],
      ['endpoint.hf_token', /hf_token: (\S+)/.exec(deploy)![1]],
      ['storage.secret_key', /secret_key: "(\S+)"/.exec(deploy)![1]],
    ];
    const report = jsonReport(r, { showSkipped: true });
    const leaves: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') leaves.push(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    walk(JSON.parse(report));
    for (const [module, secret] of secrets) {
      const masked = String(r.issues.find((i) => i.module === module)?.details?.masked);
      const shown = masked.slice(0, masked.indexOf('…'));
      assert.ok(secret.startsWith(shown) && shown.length < secret.length / 2, `${module}: ${masked}`);
      assert.ok(!report.includes(secret) && !leaves.some((l) => l.includes(secret)), module);
      // Any 8 characters of what the mask hides would be a leak.
      for (let k = shown.length; k + 8 <= secret.length; k++) {
        const piece = secret.slice(k, k + 8);
        if (shown.includes(piece)) continue; // a PEM footer repeats its header's words
        assert.ok(!report.includes(piece) && !leaves.some((l) => l.includes(piece)), `${module}: '${piece}' is in the report`);
      }
    }
  });

  it('YAML: hf_token by shape, secret_key by name', async () => {
    const text = fixture('deploy.yaml');
    assert.deepEqual((await scanFixture('deploy.yaml')).issues.map((i) => `${i.module} | ${i.operator} @${i.position}`).sort(), [
      `endpoint.hf_token | Hugging Face token @${after(text, 'hf_token: ')}`,
      `storage.secret_key | secret under 'secret_key' @${after(text, 'secret_key: "')}`,
    ]);
  });

  it('placeholders, special tokens, env references and booleans are not credentials; the file is not claimed', async () => {
    const r = await scanFixture('placeholders.json');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.scanned, []);
    assert.equal(r.skipped.length, 1);
  });

  it('keys and shapes', () => {
    assert.equal(keyedSecret('bos_token', 'verylongvalue123'), undefined);
    assert.equal(keyedSecret('pad_token', '<|endoftext|>'), undefined);
    assert.equal(keyedSecret('max_new_tokens', '512000000'), undefined);
    assert.equal(keyedSecret('hf_token', 'abcdefgh12345')?.kind, "secret under 'hf_token'");
    assert.equal(keyedSecret('DB-Password', 'Kx9-p0rt-Lq2w')?.masked, 'Kx…(13 chars)');
    assert.equal(keyedSecret('password', 'changeme'), undefined);
    assert.equal(keyedSecret('password', '********'), undefined);
    assert.equal(keyedSecret('api_key', 'YOUR_API_KEY_HERE'), undefined);
    assert.equal(keyedSecret('aws_secret_access_key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), undefined);
    assert.equal(mask(`hf_Ab${'c'.repeat(32)}`, 3), 'hf_Ab…(37 chars)');
    assert.deepEqual(findTokens('AKIAIOSFODNN7EXAMPLE and hf_short and sk-learn and ghp_tooShort'), []);
    assert.deepEqual(
      findTokens(`x hf_${'a1'.repeat(17)} y`).map((t) => [t.kind, t.index, t.masked]),
      [['Hugging Face token', 2, 'hf_a1…(37 chars)']],
    );
    // One character more and it is some other identifier, not a token.
    assert.deepEqual(findTokens(`hf_${'a'.repeat(35)}`), []);
  });

  it('invalid JSON holding a token: malformed MEDIUM, and the token still HIGH, masked', async () => {
    const token = `ghp_${'Ab1'.repeat(12)}`;
    const text = `{"model_type": "bert", "ci": {"github_token": "${token}"`;
    const r = await route('config.json', text);
    assert.deepEqual(
      r.findings.map((f) => `${f.severity} ${f.rule} @${f.offset}`),
      [`MEDIUM config/malformed @${text.length}`, `HIGH config/credential @${text.indexOf(token)}`],
    );
    assert.ok(!JSON.stringify(r.findings).includes(token));
  });
});

describe('config: benign configs', () => {
  const benign: Record<string, unknown> = {
    'generation_config.json': {
      _from_model_config: true,
      bos_token_id: 1,
      eos_token_id: 2,
      do_sample: true,
      temperature: 0.6,
      top_p: 0.9,
      transformers_version: '4.40.0',
    },
    'adapter_config.json': {
      alpha_pattern: {},
      auto_mapping: null,
      base_model_name_or_path: 'meta-llama/Llama-2-7b-hf',
      bias: 'none',
      inference_mode: true,
      lora_alpha: 16,
      lora_dropout: 0.05,
      peft_type: 'LORA',
      r: 8,
      target_modules: ['q_proj', 'v_proj'],
      task_type: 'CAUSAL_LM',
    },
    'preprocessor_config.json': {
      do_normalize: true,
      feature_extractor_type: 'ViTFeatureExtractor',
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
      resample: 2,
      size: 224,
    },
    'config.json': {
      architectures: ['BertForMaskedLM'],
      model_type: 'bert',
      hidden_size: 768,
      id2label: { '0': 'NEGATIVE', '1': 'POSITIVE' },
      _name_or_path: 'https://huggingface.co/google-bert/bert-base-uncased',
    },
    'xgb.json': {
      learner: { attributes: {}, feature_names: [], gradient_booster: { name: 'gbtree', model: { trees: [] } } },
      version: [2, 0, 3],
    },
    'sentence_bert_config.json': { max_seq_length: 256, do_lower_case: false },
  };
  for (const [name, doc] of Object.entries(benign)) {
    it(`${name}: no finding, not claimed`, async () => {
      const r = await route(name, JSON.stringify(doc, null, 2));
      assert.deepEqual(r.findings, []);
      assert.equal(r.format, undefined);
    });
  }

  it('a YAML config with plain data, and prose that happens to read as YAML, are not claimed', async () => {
    for (const [name, text] of [
      ['params.yaml', 'lr: 0.001\nbatch_size: 32\nlayers:\n  - 128\n  - 64\n'],
      ['notes.txt', 'Training notes: the run diverged at step 300.\n'],
      ['README.md', '# Title\n\nDownload the script at https://example.invalid/get.sh and run it.\nIt should work.\n'],
    ]) {
      const r = await route(name, text);
      assert.deepEqual(r.findings, [], name);
      assert.equal(r.format, undefined, name);
    }
  });

  it('Keras JSON stays with keras-config; configs route after every binary format', async () => {
    const keras = {
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] },
      keras_version: '2.15.0',
    };
    assert.equal((await route('model.json', JSON.stringify(keras))).format, 'keras-config');
    const names = FORMATS.map((f) => f.name);
    assert.ok(names.indexOf('keras-config') < names.indexOf('config'));
    assert.ok(names.indexOf('pickle') < names.indexOf('config'));
    assert.ok(names.lastIndexOf('zip') < names.indexOf('config'));
    assert.ok(names.indexOf('config') < names.indexOf('chat-template'));
    assert.equal(configFormat.detect(Buffer.from('{"a": 1}'), 8), true);
    assert.equal(configFormat.detect(Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]), 6), false);
  });
});

describe('config readers', () => {
  const collect = (walk: typeof walkJson, text: string): string[] => {
    const out: string[] = [];
    walk(text, (s) => out.push(`${pathOf(s.path)}=${s.value}${s.text ? '' : '!'}@${s.at}`));
    return out;
  };
  const pathOf = (p: readonly Segment[]) => p.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');

  it('JSON: Python json grammar, leaves with their paths and positions, no tree kept', () => {
    assert.deepEqual(collect(walkJson, '{"a": NaN, "b": [1, {"c": "x\\u0041"}], "e": {}, "f": []}'), [
      '.a=NaN!@6',
      '.b[0]=1!@17',
      '.b[1].c=xA@27',
    ]);
    assert.throws(() => walkJson('{"a": 1,}', () => {}), ConfigSyntaxError);
    assert.throws(() => walkJson(`${'['.repeat(600)}${']'.repeat(600)}`, () => {}), /nested deeper than 512/);
  });

  it('YAML: block and flow collections, scalars of every style, documents, tags recorded', () => {
    const text = [
      '%YAML 1.1',
      '---',
      'a: plain # comment',
      "b: 'it''s'",
      'c: "x\\x5fy"',
      'd:',
      '- 1',
      '- {e: [f, "g"], h: ~}',
      'i: |',
      '  line1',
      '  line2',
      'j: &anchor !!str text',
      'k: *anchor',
      '--- !!python/object/apply:os.system',
      '- id',
      '...',
    ].join('\n');
    const out: string[] = [];
    const r = walkYaml(text, (s) => out.push(`${pathOf(s.path)}=${JSON.stringify(s.value)}${s.text ? '' : '!'}`));
    assert.deepEqual(out, [
      '.a="plain"',
      `.b="it's"`,
      '.c="x_y"',
      '.d[0]="1"!',
      '.d[1].e[0]="f"',
      '.d[1].e[1]="g"',
      '.d[1].h="~"!',
      '.i="line1\\nline2\\n"',
      '.j="text"',
      '[0]="id"',
    ]);
    assert.equal(r.collections, 2);
    assert.deepEqual(
      r.tags.map((t) => t.tag),
      ['tag:yaml.org,2002:str', 'tag:yaml.org,2002:python/object/apply:os.system'],
    );
  });

  it('YAML: what is not in the subset is a syntax error, not a guess', () => {
    for (const bad of ['a:\n\tb: 1', '? complex\n: key', 'a: b: c', 'key: value\nstray text\n', '`code`', 'a: [1, 2\n']) {
      assert.throws(() => walkYaml(bad, () => {}), ConfigSyntaxError, JSON.stringify(bad));
    }
    assert.throws(
      () => walkYaml(`${Array.from({ length: 200 }, (_, k) => `${' '.repeat(k)}k${k}:`).join('\n')} 1`, () => {}),
      /nested deeper/,
    );
  });

  it('XML: attributes, text, CDATA and name/value pairs; entity references are never expanded', () => {
    const out: string[] = [];
    const r = walkXml('<?xml version="1.0"?><a x="1 &amp; 2"><b>&ent; &#65;</b><![CDATA[<raw>]]><p name="k" value="v"/></a>', (s) =>
      out.push(`${pathOf(s.path)}=${s.value}`),
    );
    assert.equal(r.error, undefined);
    assert.deepEqual(out, ['.a.@x=1 & 2', '.a.b=&ent; A', '.a=<raw>', '.a.p.@name=k', '.a.p.@value=v', '.a.p.k=v']);
    for (const bad of ['<a><b></a>', '<a></a><b/>', 'text<a/>', '<a x=1/>']) assert.ok(walkXml(bad, () => {}).error, bad);
  });
});

describe('config: robustness', () => {
  it('random damage to every fixture: readers throw only syntax errors, routing never throws', async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = '{}[]":,\'\n \t-#&*!|>%<>/=?\\@`$';
    const names = [
      'config-auto_map.json',
      'credentials.json',
      'hydra-train.yaml',
      'unsafe-pyyaml.yaml',
      'entities.xml',
      'xxe.xml',
      'mlflow-custom/MLmodel',
      'tokenizer_config-auto_map.json',
    ];
    for (const name of names) {
      const base = fixture(name);
      for (let n = 0; n < 60; n++) {
        let t = base;
        for (let m = 1 + rand(6); m > 0; m--) {
          const at = rand(t.length);
          const op = rand(3);
          if (op === 0) t = t.slice(0, at) + t.slice(at + 1 + rand(20));
          else if (op === 1) t = t.slice(0, at) + alphabet[rand(alphabet.length)].repeat(1 + rand(3)) + t.slice(at);
          else t = t.slice(0, at) + t.slice(at, at + 40) + t.slice(at);
        }
        for (const walk of [walkJson, walkYaml]) {
          try {
            walk(t, () => {});
          } catch (err) {
            assert.ok(err instanceof ConfigSyntaxError, `${name}: ${(err as Error).stack}`);
          }
        }
        walkXml(t, () => {});
        await route(name, t);
      }
    }
  });

  it('hostile shapes stay linear: long digit runs, dot runs in URLs, blank runs, huge flat lists, deep nesting', async () => {
    const started = performance.now();
    await route('a.yaml', `x: ${'1'.repeat(200_000)}x\n`);
    await route('b.json', `{"u": "http://a/${'.'.repeat(200_000)}x"}`);
    await route('c.yaml', `x: a${' '.repeat(200_000)}b\n  ${'\t'.repeat(100_000)}c\n`);
    await route('d.json', `[${'1,'.repeat(1_000_000)}1]`);
    await route('d2.json', `${'['.repeat(511)}${'1,'.repeat(1_000_000)}1${']'.repeat(511)}`);
    await route('d3.yaml', `${'- '.repeat(100)}[${'1, '.repeat(500_000)}1]\n`);
    await route('e.json', `{"password": "${'x'.repeat(300_000)}y"}`);
    const deep = await route('f.json', `{"auto_map": ${'['.repeat(100_000)}`);
    assert.deepEqual(
      deep.findings.map((f) => f.rule),
      ['config/malformed'],
    );
    await route('g.xml', `${'<a>'.repeat(10_000)}`);
    await route('h.yaml', `${'- '.repeat(10_000)}x\n`);
    await route('i.yaml', `a: ${'['.repeat(10_000)}`);
    assert.ok(performance.now() - started < 8000, `${performance.now() - started} ms`);
  });

  it('a config over the parsing cap is reported when it names what matters, else left alone', async () => {
    const pad = ' '.repeat(17 << 20);
    const big = await scanBytes(Buffer.from(`{"auto_map": {"AutoModel": "modeling_x.X"},${pad}"a": 1}`), 'config.json');
    assert.deepEqual(
      big.issues.map((i) => `${i.severity} ${i.rule}`),
      ['MEDIUM config/too-large'],
    );
    const plain = await scanBytes(Buffer.from(`{"a": 1,${pad}"b": 2}`), 'data.json');
    assert.deepEqual(plain.issues, []);
    assert.deepEqual(plain.scanned, []);
  });
});
