/**
 * What the Keras scanners treat as dangerous: names a marshalled Lambda can
 * reach, module namespaces Keras resolves on its own, and the Keras and
 * TensorFlow callables known to fetch or load things from outside the file.
 */

/**
 * Names (co_names, or identifiers inside string constants) that let code
 * run commands, evaluate code, import modules or touch files and sockets.
 */
const DANGEROUS_NAMES = new Set([
  '__import__',
  '__builtins__',
  '__globals__',
  '__subclasses__',
  'builtins',
  'exec',
  'eval',
  'compile',
  'execfile',
  'open',
  'system',
  'popen',
  'Popen',
  'subprocess',
  'check_output',
  'check_call',
  'getoutput',
  'getstatusoutput',
  'os',
  'posix',
  'nt',
  'pty',
  'spawn',
  'fork',
  'forkpty',
  'importlib',
  'import_module',
  'runpy',
  'run_path',
  'run_module',
  'ctypes',
  'cdll',
  'socket',
  'urllib',
  'urlopen',
  'urlretrieve',
  'requests',
  'http',
  'webbrowser',
  'pickle',
  'cPickle',
  '_pickle',
  'marshal',
  'shutil',
  'rmtree',
  'unlink',
  'remove',
  'globals',
  'getattr',
  'setattr',
  'breakpoint',
  'pdb',
  'sys',
]);

/** Names with these prefixes are the exec, spawn and popen families of os. */
const DANGEROUS_PREFIXES = ['exec', 'spawn', 'popen'];

export function isDangerousName(name: string): boolean {
  if (DANGEROUS_NAMES.has(name)) return true;
  const lower = name.toLowerCase();
  return DANGEROUS_PREFIXES.some((p) => lower.startsWith(p) && /^[a-z]+$/.test(lower) && lower.length <= p.length + 3);
}

/** Every dotted part of every identifier-like run in a text. */
export function identifiersIn(text: string): string[] {
  return text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
}

/** Module namespaces Keras resolves through its own registry (and, before 3.9, imported freely). */
const KERAS_NAMESPACES = /^(keras|tensorflow|tf_keras|keras_hub|keras_cv|keras_nlp)(\.|$)/;

export function isKerasModule(module: string): boolean {
  return KERAS_NAMESPACES.test(module);
}

/**
 * Python builtins a `{"module": "builtins", "class_name": "function"}`
 * object could resolve to when Keras falls back to importing `builtins`.
 */
const PYTHON_BUILTINS = new Set([
  '__import__',
  'abs',
  'all',
  'any',
  'ascii',
  'bin',
  'breakpoint',
  'callable',
  'chr',
  'compile',
  'delattr',
  'dir',
  'divmod',
  'eval',
  'exec',
  'exit',
  'format',
  'getattr',
  'globals',
  'hasattr',
  'hash',
  'help',
  'hex',
  'id',
  'input',
  'isinstance',
  'issubclass',
  'iter',
  'len',
  'locals',
  'max',
  'min',
  'next',
  'oct',
  'open',
  'ord',
  'pow',
  'print',
  'quit',
  'repr',
  'round',
  'setattr',
  'sorted',
  'sum',
  'vars',
]);

export function isPythonBuiltin(name: string): boolean {
  return PYTHON_BUILTINS.has(name);
}

/** Keras objects that download, load outside code or switch safe mode off, by class or function name. */
const UNSAFE_KERAS_NAMES = new Map<string, string>([
  ['get_file', 'downloads a file from a URL at load time'],
  ['enable_unsafe_deserialization', 'switches Keras safe mode off, so later Lambda layers load'],
  ['TFSMLayer', 'loads and runs a TensorFlow SavedModel from a path outside the file'],
  ['TorchModuleWrapper', 'unpickles a torch module (torch.load) stored in its config'],
]);

/** Why a Keras class or function name is unsafe, if it is: the last part of a dotted or `package>Name` name counts. */
export function unsafeKerasName(name: string): { name: string; why: string } | undefined {
  const last = name.split(/[.>]/).pop() ?? name;
  const why = UNSAFE_KERAS_NAMES.get(last);
  return why ? { name: last, why } : undefined;
}

/**
 * TensorFlow API paths a Keras 2 `TFOpLambda` layer may name (its
 * `function` is looked up under `tf.`) that reach files, Python code or
 * the network instead of computing on tensors.
 */
const UNSAFE_TF_OPS =
  /^(compat\.v1\.)?(io\.|gfile\.|py_function$|numpy_function$|py_func$|script_ops\.|data\.|saved_model\.|keras\.utils\.get_file$|keras\.models\.load_model$|summary\.create_file_writer$|raw_ops\.(ReadFile|WriteFile|MatchingFiles|PyFunc|PyFuncStateless|EagerPyFunc|Save|SaveV2|SaveSlices|Restore|RestoreV2|RestoreSlice|ImmutableConst|PrintV2|DeleteSessionTensor|DebugIdentity))/;

export function isUnsafeTfOp(path: string): boolean {
  return UNSAFE_TF_OPS.test(path);
}
