#!/usr/bin/env node
// Writes the GGUF and chat-template test fixtures (test/fixtures/gguf/,
// test/fixtures/chat-template/), deterministically: GGUF files hand-written
// per the ggml GGUF spec (docs/gguf.md) with bench/gguf.mjs's encoder, chat
// templates shaped like the ones real models ship (Llama 3.1, Qwen 2.5/3,
// Hermes tool use, Mistral, Gemma) and the attacks the corpus shows (SSTI
// through dunders, Jinja globals, |attr, string building, escapes).
//
//   node scripts/make-gguf-fixtures.mjs

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GGML, GgufEncoder, ggufHeader, T } from '../bench/gguf.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const GGUF_DIR = path.join(ROOT, 'test/fixtures/gguf');
const CT_DIR = path.join(ROOT, 'test/fixtures/chat-template');

// ---------------------------------------------------------------------------
// Templates

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const LLAMA31 = `{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{%- if builtin_tools is defined %}
    {{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\\n\\n"}}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\\n\\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\\n\\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {%- if builtin_tools is defined and tool_call.name in builtin_tools %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
            {{- "<|python_tag|>" + tool_call.name + ".call(" }}
            {%- for arg_name, arg_val in tool_call.arguments | items %}
                {{- arg_name + '="' + arg_val + '"' }}
                {%- if not loop.last %}
                    {{- ", " }}
                {%- endif %}
            {%- endfor %}
            {{- ")" }}
        {%- else  %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
            {{- '{"name": "' + tool_call.name + '", ' }}
            {{- '"parameters": ' }}
            {{- tool_call.arguments | tojson }}
            {{- "}" }}
        {%- endif %}
        {%- if builtin_tools is defined %}
            {{- "<|eom_id|>" }}
        {%- else %}
            {{- "<|eot_id|>" }}
        {%- endif %}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
`;

const QWEN3 = `{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\\n\\n' }}
    {%- endif %}
    {{- "# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.content is string %}
        {%- set content = message.content %}
    {%- else %}
        {%- set content = '' %}
    {%- endif %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- else %}
            {%- if '</think>' in content %}
                {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
                {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
            {%- endif %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index %}
            {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\\n' + content }}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content) or (not loop.first) %}
                    {{- '\\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\\n\\n</think>\\n\\n' }}
    {%- endif %}
{%- endif %}`;

const HERMES_TOOLS = `{%- macro json_to_python_type(json_spec) %}
{%- set basic_type_map = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "boolean": "bool"
} %}

{%- if basic_type_map[json_spec.type] is defined %}
    {{- basic_type_map[json_spec.type] }}
{%- elif json_spec.type == "array" %}
    {{- "list[" +  json_to_python_type(json_spec|items) + "]"}}
{%- elif json_spec.type == "object" %}
    {%- if json_spec.additionalProperties is defined %}
        {{- "dict[str, " + json_to_python_type(json_spec.additionalProperties) + ']'}}
    {%- else %}
        {{- "dict" }}
    {%- endif %}
{%- elif json_spec.type is iterable %}
    {{- "Union[" }}
    {%- for t in json_spec.type %}
      {{- json_to_python_type({"type": t}) }}
      {%- if not loop.last %}
        {{- "," }}
    {%- endif %}
    {%- endfor %}
    {{- "]" }}
{%- else %}
    {{- "Any" }}
{%- endif %}
{%- endmacro %}

{{- bos_token }}
{{- '<|im_start|>system\\n' }}
{{- "You are a function calling AI model. Here are the available tools: <tools> " }}
{%- for tool in tools %}
    {%- if tool.function is defined %}
        {%- set tool = tool.function %}
    {%- endif %}
    {{- '{"type": "function", "function": ' }}
    {{- '{"name": "' + tool.name + '", ' }}
    {{- '"description": "' + tool.name + '(' }}
    {%- for param_name, param_fields in tool.parameters.properties|items %}
        {{- param_name + ": " + json_to_python_type(param_fields) }}
        {%- if not loop.last %}
            {{- ", " }}
        {%- endif %}
    {%- endfor %}
    {{- ")" }}
    {%- if tool.return is defined %}
        {{- " -> " + json_to_python_type(tool.return) }}
    {%- endif %}
    {{- " - " + tool.description + "\\n\\n" }}
    {{- '"parameters": ' }}
    {{- tool.parameters|tojson }}
    {{- "}" }}
    {%- if not loop.last %}
        {{- "\\n" }}
    {%- endif %}
{%- endfor %}
{{- " </tools>" }}
{{- '<|im_end|>\\n' }}
{%- for message in messages %}
    {%- if message.role == "user" or message.role == "system" or (message.role == "assistant" and message.tool_calls is not defined) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- for tool_call in message.tool_calls %}
            {{- '\\n<tool_call>\\n' }}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '{' }}
            {{- '"name": "' }}
            {{- tool_call.name }}
            {{- '"' }}
            {%- if tool_call.arguments is defined %}
                {{- ', ' }}
                {{- '"arguments": ' }}
                {{- tool_call.arguments|tojson }}
            {%- endif %}
            {{- '}' }}
            {{- '\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.previtem and loop.previtem.role != "tool" %}
            {{- '<|im_start|>tool\\n' }}
        {%- endif %}
        {{- '<tool_response>\\n' }}
        {{- message.content }}
        {%- if not loop.last %}
            {{- '\\n</tool_response>\\n' }}
        {%- else %}
            {{- '\\n</tool_response>' }}
        {%- endif %}
        {%- if not loop.last and loop.nextitem.role != "tool" %}
            {{- '<|im_end|>' }}
        {%- elif loop.last %}
            {{- '<|im_end|>' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
`;

const MISTRAL = `{%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- set ns = namespace() %}
{%- set ns.index = 0 %}
{%- for message in loop_messages %}
    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
            {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {%- for tool in tools %}
                {%- set tool = tool.function %}
                {{- '{"type": "function", "function": {' }}
                {%- for key, val in tool.items() if key != "return" %}
                    {%- if val is string %}
                        {{- '"' + key + '": "' + val + '"' }}
                    {%- else %}
                        {{- '"' + key + '": ' + val|tojson }}
                    {%- endif %}
                    {%- if not loop.last %}
                        {{- ", " }}
                    {%- endif %}
                {%- endfor %}
                {{- "}}" }}
                {%- if not loop.last %}
                    {{- ", " }}
                {%- else %}
                    {{- "]" }}
                {%- endif %}
            {%- endfor %}
            {{- "[/AVAILABLE_TOOLS]" }}
        {%- endif %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message.tool_calls is defined and message.tool_calls is not none %}
        {{- "[TOOL_CALLS] [" }}
        {%- for tool_call in message.tool_calls %}
            {%- set out = tool_call.function|tojson %}
            {{- out[:-1] }}
            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}
                {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
            {%- endif %}
            {{- ', "id": "' + tool_call.id + '"}' }}
            {%- if not loop.last %}
                {{- ", " }}
            {%- else %}
                {{- "]" + eos_token }}
            {%- endif %}
        {%- endfor %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- elif message["role"] == "tool_results" or message["role"] == "tool" %}
        {%- if message.content is defined and message.content.content is defined %}
            {%- set content = message.content.content %}
        {%- else %}
            {%- set content = message.content %}
        {%- endif %}
        {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}
        {{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
`;

const GEMMA3 = `{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\\n'}}
{%- endif -%}
`;

/** Valid for Python's jinja2, beyond @huggingface/jinja's subset (`is sameas`): reported unparsed, never more. */
const UNPARSEABLE_BENIGN =
  "{% for message in messages %}{% if message['content'] is sameas false %}{{ '' }}{% else %}{{ message['role'] + ': ' + message['content'] }}{% endif %}{% endfor %}";

const CVE_2024_34359 =
  "{% for c in [].__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').system('touch /tmp/retr0reg') }}{% endif %}{% endfor %}";
const CYCLER = `{{ cycler.__init__.__globals__.os.popen('id').read() }}${CHATML}`;
const CONCAT = `{% set u = '_' * 2 %}{{ ''[u ~ 'class' ~ u] }}${CHATML}`;
const ATTR_FORMAT = `${CHATML}{{ joiner(',')|attr('%c%cinit%c%c'|format(95,95,95,95)) }}`;
const TUPLE_FALLBACK = `${CHATML}{% for c in ().__class__.__base__.__subclasses__() %}{{ c.__name__ }}{% endfor %}`;
const HUGE_RANGE = `{% for i in range(10 ** 9) %}x{% endfor %}${CHATML}`;

// ---------------------------------------------------------------------------
// GGUF files

const tokens = Array.from({ length: 64 }, (_, i) => (i < 3 ? ['<unk>', '<s>', '</s>'][i] : `tok${i}`));
const tokenizer = (template) => [
  ['tokenizer.ggml.model', T.STRING, 'llama'],
  ['tokenizer.ggml.tokens', T.ARRAY, T.STRING, tokens],
  ['tokenizer.ggml.scores', T.ARRAY, T.F32, tokens.map((_, i) => -i)],
  ['tokenizer.ggml.token_type', T.ARRAY, T.I32, tokens.map((_, i) => (i < 3 ? 3 : 1))],
  ['tokenizer.ggml.bos_token_id', T.U32, 1],
  ['tokenizer.ggml.eos_token_id', T.U32, 2],
  ...(template === undefined ? [] : [['tokenizer.chat_template', T.STRING, template]]),
];
const general = [
  ['general.architecture', T.STRING, 'llama'],
  ['general.name', T.STRING, 'fixture'],
  ['llama.context_length', T.U32, 2048],
  ['llama.embedding_length', T.U32, 32],
  ['llama.block_count', T.U32, 1],
];
const smallTensors = () => [
  { name: 'token_embd.weight', dims: [32, 64], type: GGML.F16 },
  { name: 'blk.0.attn_norm.weight', dims: [32], type: GGML.F32 },
  { name: 'blk.0.attn_q.weight', dims: [32, 32], type: GGML.Q8_0 },
  { name: 'output.weight', dims: [32, 64], type: GGML.Q4_0 },
];

/** A whole file: header, padding, tensor data (a deterministic byte pattern). */
function gguf(opts) {
  const { header, dataOffset, dataBytes } = ggufHeader({ tensors: [], ...opts });
  const out = Buffer.alloc(dataOffset + dataBytes);
  header.copy(out);
  for (let i = dataOffset; i < out.length; i++) out[i] = (i * 31) & 0xff;
  return out;
}

/** Header fields written by hand, for files the encoder would refuse to make. */
function raw(version, build) {
  const e = new GgufEncoder({ version });
  e.push(Buffer.from('GGUF'));
  e.u32(version);
  build(e);
  return e.bytes();
}

/** pickle.dumps of os.system('id') at protocol 2, as CPython writes it on Linux. */
const POSIX_SYSTEM_PICKLE = Buffer.from('\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1');

function ggufFixtures() {
  const f = {};
  f['benign-chatml-v3.gguf'] = gguf({ kvs: [...general, ...tokenizer(CHATML)], tensors: smallTensors() });
  f['benign-v1.gguf'] = gguf({ version: 1, kvs: [...general, ...tokenizer(CHATML)], tensors: smallTensors() });
  f['benign-v2.gguf'] = gguf({ version: 2, kvs: [...general, ...tokenizer(GEMMA3)], tensors: smallTensors() });
  f['benign-big-endian.gguf'] = gguf({ bigEndian: true, kvs: [...general, ...tokenizer(CHATML)], tensors: smallTensors() });
  f['benign-real-templates.gguf'] = gguf({
    kvs: [
      ...general,
      ...tokenizer(LLAMA31),
      ['tokenizer.chat_template.tool_use', T.STRING, HERMES_TOOLS],
      ['tokenizer.chat_template.rag', T.STRING, QWEN3],
      ['tokenizer.chat_templates', T.ARRAY, T.STRING, ['tool_use', 'rag']],
      ['general.alignment', T.U32, 64],
    ],
    tensors: smallTensors(),
    alignment: 64,
  });
  f['benign-vocab-only.gguf'] = gguf({ kvs: [...general, ...tokenizer(MISTRAL)] });
  f['benign-unparsed-template.gguf'] = gguf({ kvs: [...general, ...tokenizer(UNPARSEABLE_BENIGN)], tensors: smallTensors() });

  f['ssti-cycler-globals.gguf'] = gguf({ kvs: [...general, ...tokenizer(CYCLER)], tensors: smallTensors() });
  f['ssti-named-variant.gguf'] = gguf({
    kvs: [...general, ...tokenizer(CHATML), ['tokenizer.chat_template.rag', T.STRING, `${CHATML}${CVE_2024_34359}`]],
    tensors: smallTensors(),
  });
  f['ssti-string-building.gguf'] = gguf({ kvs: [...general, ...tokenizer(CONCAT)], tensors: smallTensors() });
  f['ssti-attr-format.gguf'] = gguf({ kvs: [...general, ...tokenizer(ATTR_FORMAT)], tensors: smallTensors() });
  f['ssti-unparsed-fallback.gguf'] = gguf({ kvs: [...general, ...tokenizer(TUPLE_FALLBACK)], tensors: smallTensors() });
  f['dos-huge-range.gguf'] = gguf({ kvs: [...general, ...tokenizer(HUGE_RANGE)], tensors: smallTensors() });

  f['malformed-huge-kv-count.gguf'] = raw(3, (e) => {
    e.u64(0);
    e.u64(2 ** 40);
    e.str('general.name');
    e.u32(T.STRING);
    e.str('x');
  });
  f['malformed-huge-tensor-count.gguf'] = raw(3, (e) => {
    e.u64(2n ** 62n);
    e.u64(1);
    e.str('general.name');
    e.u32(T.STRING);
    e.str('x');
  });
  f['malformed-template-past-eof.gguf'] = raw(3, (e) => {
    e.u64(0);
    e.u64(1);
    e.str('tokenizer.chat_template');
    e.u32(T.STRING);
    e.u64(1_000_000);
    e.push(Buffer.from(CHATML));
  });
  f['malformed-invalid-value-type.gguf'] = raw(3, (e) => {
    e.u64(0);
    e.u64(1);
    e.str('general.name');
    e.u32(99);
    e.u64(0);
  });
  f['malformed-huge-array.gguf'] = raw(3, (e) => {
    e.u64(0);
    e.u64(1);
    e.str('tokenizer.ggml.tokens');
    e.u32(T.ARRAY);
    e.u32(T.STRING);
    e.u64(2 ** 40);
    e.str('a');
  });
  f['malformed-nested-arrays.gguf'] = raw(3, (e) => {
    e.u64(0);
    e.u64(1);
    e.str('general.nested');
    e.u32(T.ARRAY);
    for (let d = 0; d < 5; d++) {
      e.u32(T.ARRAY);
      e.u64(1);
    }
    e.u32(T.U8);
    e.u64(1);
    e.push(Buffer.from([7]));
  });
  f['malformed-bad-version.gguf'] = raw(7, (e) => {
    e.u64(0);
    e.u64(0);
  });
  const full = gguf({ kvs: [...general, ...tokenizer(CHATML)], tensors: smallTensors() });
  f['malformed-truncated-tensor-data.gguf'] = full.subarray(0, full.length - 1000);
  const tokensAt = full.indexOf('tok40');
  f['malformed-truncated-header.gguf'] = full.subarray(0, tokensAt);
  f['malformed-bad-alignment.gguf'] = gguf({
    kvs: [...general, ['general.alignment', T.U32, 48], ...tokenizer(CHATML)],
    tensors: smallTensors(),
    alignment: 32,
  });
  f['malformed-duplicate-template.gguf'] = gguf({
    kvs: [...general, ...tokenizer(CHATML), ['tokenizer.chat_template', T.STRING, CYCLER]],
    tensors: smallTensors(),
  });
  f['malformed-after-ssti.gguf'] = raw(3, (e) => {
    e.u64(0);
    e.u64(2);
    e.str('tokenizer.chat_template');
    e.u32(T.STRING);
    e.str(CYCLER);
    e.str('general.name');
    e.u32(42);
  });
  f['malformed-too-many-dims.gguf'] = gguf({
    kvs: [...general, ...tokenizer(CHATML)],
    tensors: [{ name: 'weird.weight', dims: [2, 2, 2, 2, 2], type: GGML.F32 }],
  });
  f['malformed-unknown-tensor-type.gguf'] = gguf({
    kvs: [...general, ...tokenizer(CHATML)],
    tensors: [
      { name: 'a.weight', dims: [32], type: GGML.F32 },
      { name: 'b.weight', dims: [32], type: [4, 1, 4] },
    ],
  });
  f['trailing-pickle.gguf'] = Buffer.concat([
    gguf({ kvs: [...general, ...tokenizer(CHATML)], tensors: smallTensors() }),
    Buffer.alloc(32),
    POSIX_SYSTEM_PICKLE,
  ]);
  return f;
}

// ---------------------------------------------------------------------------
// Chat templates outside GGUF

const json = (v) => `${JSON.stringify(v, null, 2)}\n`;
const ADDED_TOKENS = {
  0: { content: '<unk>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
  1: { content: '<s>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
  2: { content: '</s>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
};
const tokenizerConfig = (chatTemplate) => ({
  add_bos_token: true,
  add_eos_token: false,
  added_tokens_decoder: ADDED_TOKENS,
  bos_token: '<s>',
  chat_template: chatTemplate,
  clean_up_tokenization_spaces: false,
  eos_token: '</s>',
  model_max_length: 131072,
  pad_token: null,
  tokenizer_class: 'PreTrainedTokenizerFast',
});

function chatTemplateFixtures() {
  const f = {};
  f['tokenizer_config.json'] = json(tokenizerConfig(LLAMA31));
  f['tokenizer_config-qwen3.json'] = json(tokenizerConfig(QWEN3));
  f['tokenizer_config-ssti.json'] = json(tokenizerConfig(CVE_2024_34359));
  f['tokenizer_config-named-list.json'] = json(
    tokenizerConfig([
      { name: 'default', template: CHATML },
      { name: 'tool_use', template: `${HERMES_TOOLS}{{ lipsum.__globals__['os'].popen('id').read() }}` },
    ]),
  );
  f['tokenizer_config-null-template.json'] = json(tokenizerConfig(null));
  // Every brace and the key itself written as \\u escapes: invisible to a byte search, not to JSON.
  f['chat_template-escaped.json'] =
    `{"chat\\u005ftemplate": "${[...CONCAT].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"}\n`;
  f['chat_template.json'] = json({ chat_template: GEMMA3 });
  f['config.json'] = json({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, prompt: 'Hello {{ name }}' });
  const whole = json(tokenizerConfig(CHATML));
  f['tokenizer_config-truncated.json'] = whole.slice(0, whole.indexOf('chat_template') + 80);
  f['model_config.yaml'] = `model_name: tiny-chat
parameters:
  max_length: 1024
  temperature: 0.7
chat_template: |
${MISTRAL.split('\n')
  .map((l) => (l ? `  ${l}` : ''))
  .join('\n')}
`;
  f['serving.yaml'] = `# serving config
model: tiny-chat
prompt:
  chat_template: "{% for message in messages %}{{ message.content }}{% endfor %}{{ x[\\"\\x5f\\x5fclass\\x5f\\x5f\\"] }}"
  deploy_hook: >-
    {{ cycler.__init__.__globals__.os.system('id') }}
`;
  f['chat.jinja'] = QWEN3;
  f['evil.jinja'] =
    `${CHATML}\n{# looks harmless above #}\n{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('id') }}\n`;
  f['page.html'] =
    '<!doctype html>\n<html><head><title>{{ title }}</title></head>\n<body>{% for item in items %}<li>{{ item.name|e }}</li>{% endfor %}</body></html>\n';
  f['notes.txt'] = 'Render with jinja2:\n{{ request.application.__globals__.__builtins__.__import__("os").popen("id").read() }}\n';
  f['raw-block.jinja'] = `{% raw %}{{ x.__class__ }}{% endraw %}${CHATML}`;
  // A protocol-0 pickle whose dict holds a chat template: it is a pickle first, and judged as one.
  f['tokenizer-state.pkl'] = Buffer.from(`cposix\nsystem\n(Vecho {{ bos_token }} {% for message in messages %}{% endfor %}\ntR.`, 'latin1');
  return f;
}

function writeAll(dir, files) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  console.log(`${dir}: ${Object.keys(files).length} files`);
}

writeAll(GGUF_DIR, ggufFixtures());
writeAll(CT_DIR, chatTemplateFixtures());
