import type { Severity } from '../scan/findings.js';

/**
 * The pickle policy as data. Names are as CPython resolves them (see
 * resolve.ts): posix/nt → os, __builtin__ → builtins, _pickle → pickle.
 *
 * Tier 1, DENY: precise severity and reason. modelscan's default table is
 * the floor; the rest are the execution, import, file and network gadgets
 * known from public advisories and papers.
 * Tier 2, ALLOW: exact (module, qualname) pairs that real models need,
 * grown from the benign files of the shared corpus and our fixtures. Never
 * a loader, never a module prefix.
 * Tier 3: everything else is unknown and reported (policy.ts decides how
 * loudly from how the stream uses it).
 */

export interface DenyRule {
  module: string;
  /** '*' = every name in the module and its submodules. */
  names: '*' | readonly string[];
  severity: Severity;
  why: string;
}

const EXEC = 'can execute arbitrary code';
const FILES = 'reaches the file system';
const NET = 'reaches the network';

export const DENY: readonly DenyRule[] = [
  // modelscan's default unsafe_globals (the floor)
  { module: 'builtins', names: ['eval', 'compile', 'getattr', 'apply', 'exec', 'open', 'breakpoint', '__import__'], severity: 'CRITICAL', why: EXEC },
  { module: 'runpy', names: '*', severity: 'CRITICAL', why: 'runs Python modules or code' },
  { module: 'os', names: '*', severity: 'CRITICAL', why: 'runs commands or touches the system' },
  { module: 'socket', names: '*', severity: 'CRITICAL', why: 'opens network connections' },
  { module: 'subprocess', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'sys', names: '*', severity: 'CRITICAL', why: 'changes interpreter state' },
  { module: 'pty', names: '*', severity: 'CRITICAL', why: 'spawns processes' },
  { module: 'pickle', names: '*', severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'bdb', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'pdb', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'shutil', names: '*', severity: 'CRITICAL', why: 'copies, moves or deletes files' },
  { module: 'asyncio', names: '*', severity: 'CRITICAL', why: 'runs subprocesses and network I/O' },
  { module: 'operator', names: ['attrgetter'], severity: 'CRITICAL', why: 'reaches arbitrary attributes' },
  { module: 'webbrowser', names: '*', severity: 'HIGH', why: NET },
  { module: 'httplib', names: '*', severity: 'HIGH', why: NET },
  { module: 'requests.api', names: '*', severity: 'HIGH', why: NET },
  { module: 'aiohttp.client', names: '*', severity: 'HIGH', why: NET },

  // execution and import gadgets beyond the floor
  { module: 'builtins', names: ['setattr', 'delattr', 'globals', 'locals', 'vars', 'execfile', 'input', '__build_class__', 'help', 'memoryview.__class__'], severity: 'CRITICAL', why: EXEC },
  { module: 'operator', names: ['methodcaller', 'call', 'attrgetter'], severity: 'CRITICAL', why: 'calls arbitrary methods' },
  { module: 'code', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'codeop', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'cProfile', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'profile', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'timeit', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'trace', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'doctest', names: '*', severity: 'CRITICAL', why: EXEC },
  { module: 'ctypes', names: '*', severity: 'CRITICAL', why: 'calls native code' },
  { module: '_ctypes', names: '*', severity: 'CRITICAL', why: 'calls native code' },
  { module: 'cffi', names: '*', severity: 'CRITICAL', why: 'calls native code' },
  { module: 'importlib', names: '*', severity: 'CRITICAL', why: 'imports arbitrary modules' },
  { module: 'imp', names: '*', severity: 'CRITICAL', why: 'imports arbitrary modules' },
  { module: 'pkgutil', names: '*', severity: 'CRITICAL', why: 'resolves and imports arbitrary names' },
  { module: 'zipimport', names: '*', severity: 'CRITICAL', why: 'imports code from archives' },
  { module: 'pydoc', names: '*', severity: 'CRITICAL', why: 'resolves arbitrary names and runs pagers' },
  { module: 'marshal', names: '*', severity: 'CRITICAL', why: 'loads code objects' },
  { module: 'types', names: '*', severity: 'CRITICAL', why: 'builds code, functions or modules at load time (dill and cloudpickle use their own helpers)' },
  { module: 'shelve', names: '*', severity: 'CRITICAL', why: 'loads pickles from files' },
  { module: 'dill', names: ['load', 'loads', 'load_session', 'load_module'], severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'dill._dill', names: ['load', 'loads', 'load_session', 'load_module', '_import_module', '_eval_repr', '_exec_repr'], severity: 'CRITICAL', why: 'imports modules or evaluates code' },
  { module: 'cloudpickle', names: ['load', 'loads'], severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'cloudpickle.cloudpickle', names: ['dynamic_subimport'], severity: 'CRITICAL', why: 'creates modules at load time' },
  { module: 'joblib', names: ['load'], severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'joblib.numpy_pickle', names: ['load'], severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'torch', names: ['load'], severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'torch.serialization', names: ['load', '_load', '_legacy_load'], severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'torch.hub', names: '*', severity: 'CRITICAL', why: 'downloads and runs repository code' },
  { module: 'torch.jit', names: ['load'], severity: 'CRITICAL', why: 'loads TorchScript code' },
  { module: 'torch._inductor', names: '*', severity: 'CRITICAL', why: 'compiles and runs code' },
  { module: 'numpy', names: ['load', 'loads', 'fromfile', 'loadtxt', 'genfromtxt', 'save', 'savez', 'tofile'], severity: 'HIGH', why: FILES },
  { module: 'numpy.testing._private.utils', names: ['runstring'], severity: 'CRITICAL', why: EXEC },
  { module: 'numpy.distutils', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'numpy.f2py', names: '*', severity: 'CRITICAL', why: 'compiles and runs code' },
  { module: 'pandas', names: ['read_pickle'], severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'pandas.io.pickle', names: '*', severity: 'CRITICAL', why: 'loads another pickle' },
  { module: 'pandas', names: ['read_csv', 'read_json', 'read_html', 'read_sql', 'read_parquet', 'read_excel', 'read_table', 'read_xml', 'read_hdf'], severity: 'HIGH', why: FILES },
  { module: 'multiprocessing', names: '*', severity: 'CRITICAL', why: 'spawns processes' },
  { module: 'concurrent.futures', names: '*', severity: 'CRITICAL', why: 'runs callables in workers' },
  { module: '_thread', names: '*', severity: 'CRITICAL', why: 'runs callables in threads' },
  { module: 'threading', names: '*', severity: 'CRITICAL', why: 'runs callables in threads' },
  { module: 'signal', names: '*', severity: 'HIGH', why: 'changes process signal handling' },
  { module: 'platform', names: ['popen', '_syscmd_file', '_syscmd_ver'], severity: 'CRITICAL', why: 'runs commands' },
  { module: 'commands', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'popen2', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'copyreg', names: ['add_extension', 'remove_extension', 'pickle', 'dispatch_table'], severity: 'HIGH', why: 'rewires how pickles load' },
  { module: 'functools', names: ['reduce'], severity: 'HIGH', why: 'calls a function repeatedly' },
  { module: 'builtins', names: ['map', 'filter', 'exit', 'quit', 'print', 'iter', 'next', 'super', 'classmethod', 'staticmethod', 'property', 'type'], severity: 'MEDIUM', why: 'a building block of call chains' },
  { module: 'torch._dynamo', names: '*', severity: 'CRITICAL', why: 'compiles and runs code' },
  { module: 'torch.fx', names: '*', severity: 'HIGH', why: 'builds code from graphs' },
  { module: 'torch.utils.cpp_extension', names: '*', severity: 'CRITICAL', why: 'compiles and loads native code' },
  { module: 'jinja2', names: '*', severity: 'HIGH', why: 'renders templates' },
  { module: 'yaml', names: ['load', 'unsafe_load', 'full_load', 'load_all'], severity: 'CRITICAL', why: 'YAML loading can construct objects' },
  { module: 'site', names: '*', severity: 'CRITICAL', why: 'changes import paths' },
  { module: 'gc', names: '*', severity: 'HIGH', why: 'reaches every live object' },
  { module: 'inspect', names: '*', severity: 'HIGH', why: 'reaches frames and source' },
  { module: 'sysconfig', names: '*', severity: 'MEDIUM', why: 'reads interpreter configuration' },

  // files
  { module: 'io', names: ['open', 'FileIO', 'open_code'], severity: 'HIGH', why: FILES },
  { module: '_io', names: ['open', 'FileIO', 'open_code'], severity: 'HIGH', why: FILES },
  { module: 'codecs', names: ['open'], severity: 'HIGH', why: FILES },
  { module: 'tempfile', names: '*', severity: 'HIGH', why: FILES },
  { module: 'glob', names: '*', severity: 'HIGH', why: FILES },
  { module: 'fileinput', names: '*', severity: 'HIGH', why: FILES },
  { module: 'filecmp', names: '*', severity: 'HIGH', why: FILES },
  { module: 'linecache', names: '*', severity: 'HIGH', why: FILES },
  { module: 'tarfile', names: '*', severity: 'HIGH', why: FILES },
  { module: 'zipfile', names: '*', severity: 'HIGH', why: FILES },
  { module: 'sqlite3', names: '*', severity: 'HIGH', why: FILES },
  { module: 'dbm', names: '*', severity: 'HIGH', why: FILES },
  { module: 'logging', names: '*', severity: 'HIGH', why: 'writes files and reconfigures handlers' },
  { module: 'distutils', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'setuptools', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'venv', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'ensurepip', names: '*', severity: 'CRITICAL', why: 'runs commands' },
  { module: 'pip', names: '*', severity: 'CRITICAL', why: 'installs and runs packages' },

  // network
  { module: 'http', names: '*', severity: 'HIGH', why: NET },
  { module: 'urllib', names: '*', severity: 'HIGH', why: NET },
  { module: 'urllib2', names: '*', severity: 'HIGH', why: NET },
  { module: 'urllib3', names: '*', severity: 'HIGH', why: NET },
  { module: 'requests', names: '*', severity: 'HIGH', why: NET },
  { module: 'httpx', names: '*', severity: 'HIGH', why: NET },
  { module: 'aiohttp', names: '*', severity: 'HIGH', why: NET },
  { module: 'socketserver', names: '*', severity: 'HIGH', why: NET },
  { module: 'ssl', names: '*', severity: 'HIGH', why: NET },
  { module: 'ftplib', names: '*', severity: 'HIGH', why: NET },
  { module: 'smtplib', names: '*', severity: 'HIGH', why: NET },
  { module: 'poplib', names: '*', severity: 'HIGH', why: NET },
  { module: 'imaplib', names: '*', severity: 'HIGH', why: NET },
  { module: 'nntplib', names: '*', severity: 'HIGH', why: NET },
  { module: 'telnetlib', names: '*', severity: 'HIGH', why: NET },
  { module: 'xmlrpc', names: '*', severity: 'HIGH', why: NET },
  { module: 'select', names: '*', severity: 'HIGH', why: NET },
  { module: 'selectors', names: '*', severity: 'HIGH', why: NET },
  { module: 'paramiko', names: '*', severity: 'HIGH', why: NET },
];

/**
 * Functions that rebuild Python code shipped by value (dill, cloudpickle,
 * types). Building code is not running it: a model that stores a function
 * is code-bearing (LOW, HIGH when the code names dangerous APIs); calling a
 * function built this way during load is CRITICAL. See policy.ts.
 */
export const CODE_BUILDERS: Readonly<Record<string, 'type' | 'code' | 'function' | 'setstate' | 'import' | 'cell'>> = {
  'dill._dill._create_code': 'code',
  'dill._dill._create_function': 'function',
  'dill._dill._load_type': 'type',
  'dill._dill._create_cell': 'cell',
  'dill._dill._setattr': 'setstate',
  'cloudpickle.cloudpickle._builtin_type': 'type',
  'cloudpickle.cloudpickle._make_function': 'function',
  'cloudpickle.cloudpickle._make_cell': 'cell',
  'cloudpickle.cloudpickle._make_empty_cell': 'cell',
  'cloudpickle.cloudpickle._make_skeleton_class': 'type',
  'cloudpickle.cloudpickle._make_skeleton_enum': 'type',
  'cloudpickle.cloudpickle._function_setstate': 'setstate',
  'cloudpickle.cloudpickle._class_setstate': 'setstate',
  'cloudpickle.cloudpickle_fast._function_setstate': 'setstate',
  'cloudpickle.cloudpickle_fast._class_setstate': 'setstate',
  'cloudpickle.cloudpickle.subimport': 'import',
};

/** Names whose presence in code carried by value makes it worth a HIGH look. */
export const DANGEROUS_CODE_NAMES: ReadonlySet<string> = new Set([
  'system', 'popen', 'Popen', 'exec', 'eval', 'compile', '__import__', 'subprocess', 'spawn', 'spawnl', 'spawnlp', 'execv', 'execve',
  'check_output', 'check_call', 'getoutput', 'getstatusoutput', 'socket', 'create_connection', 'urlopen', 'urlretrieve', 'request',
  'rmtree', 'remove', 'unlink', 'import_module', 'loads', 'load', '__builtins__', '__globals__', '__subclasses__', '__code__',
  'builtins', 'os', 'pty', 'shutil', 'ctypes', 'marshal', 'pickle', 'runpy', 'webbrowser', 'requests', 'open',
]);

/** Attributes that lead from any object to interpreter internals (globals, builtins, subclasses, code). */
export const DANGEROUS_DUNDERS: ReadonlySet<string> = new Set([
  '__dict__', '__globals__', '__builtins__', '__subclasses__', '__class__', '__bases__', '__base__', '__mro__', '__code__',
  '__getattribute__', '__getattr__', '__setattr__', '__delattr__', '__import__', '__loader__', '__spec__', '__reduce__',
  '__reduce_ex__', '__func__', '__self__', '__closure__', '__subclasshook__', '__init_subclass__', '__call__', '__get__',
  '__set_name__', '__setstate__', '__getstate__', '__module__', '__objclass__', '__wrapped__', '__defaults__', '__kwdefaults__',
]);

/** Reflective builtins judged by their literal arguments at the call (getattr(dill._dill, '_setattr')). */
export const REFLECTIVE: ReadonlySet<string> = new Set(['builtins.getattr', 'builtins.setattr', 'builtins.delattr']);

/**
 * Loaders whose argument is a serialized payload we can scan ourselves: a
 * call with literal bytes is judged by what those bytes contain. Loaders on
 * the DENY list keep their deny severity (modelscan's floor) and still get
 * the nested scan.
 */
export const LOADERS: ReadonlySet<string> = new Set([
  'pickle.loads',
  'dill.loads',
  'dill._dill.loads',
  'cloudpickle.loads',
  'torch.storage._load_from_bytes',
]);

const ALLOW_LIST: Record<string, readonly string[]> = {
  builtins: ['set', 'frozenset', 'slice', 'range', 'complex', 'bytearray', 'bytes', 'dict', 'list', 'tuple', 'int', 'float', 'str', 'bool', 'object', 'NotImplemented', 'Ellipsis'],
  copyreg: ['_reconstructor', '__newobj__', '__newobj_ex__'],
  _codecs: ['encode'],
  collections: ['OrderedDict', 'defaultdict', 'Counter', 'deque'],
  datetime: ['date', 'datetime', 'time', 'timedelta', 'timezone'],
  decimal: ['Decimal'],
  fractions: ['Fraction'],
  uuid: ['UUID'],
  functools: ['partial'],
  argparse: ['Namespace'],
  pathlib: ['PosixPath', 'WindowsPath', 'PurePosixPath', 'PureWindowsPath', 'Path'],
  re: ['_compile'],
  'dill._dill': ['_create_array', '_create_namedtuple', '_get_attr', '_import_module_safe'],
  'scipy.sparse._csr': ['csr_matrix'],
  'scipy.sparse._csc': ['csc_matrix'],
  'scipy.sparse._coo': ['coo_matrix'],
  'scipy.sparse.csr': ['csr_matrix'],
  'scipy.sparse.csc': ['csc_matrix'],
  'numpy.core._multiarray_umath': ['log1p', 'log', 'exp', 'sqrt', 'abs', 'absolute', 'negative', 'square', 'tanh', 'sin', 'cos', 'expm1'],
  'torch.serialization': ['_get_layout'],
  'torch.nn.functional': ['relu', 'gelu', 'silu', 'softmax', 'log_softmax', 'sigmoid', 'tanh'],
  'pandas.core.frame': ['DataFrame'],
  'pandas.core.series': ['Series'],
  'pandas.core.internals.managers': ['BlockManager', 'SingleBlockManager'],
  'pandas.core.internals.blocks': ['new_block', 'Block', 'ObjectBlock', 'NumericBlock'],
  'pandas._libs.internals': ['_unpickle_block'],
  'pandas.core.indexes.base': ['_new_Index', 'Index'],
  'pandas.core.indexes.range': ['RangeIndex'],
  'pandas.core.indexes.numeric': ['Int64Index', 'Float64Index'],
  'pandas.core.indexes.multi': ['MultiIndex'],
  'pandas.core.indexes.datetimes': ['DatetimeIndex', '_new_DatetimeIndex'],
  'pandas.core.arrays.categorical': ['Categorical'],
  'pandas._libs.tslibs.timestamps': ['_unpickle_timestamp'],
  'pandas._libs.tslibs.timedeltas': ['_timedelta_unpickle'],
  'sklearn.tree._tree': ['Tree'],
  'sklearn.tree._classes': ['DecisionTreeClassifier', 'DecisionTreeRegressor', 'ExtraTreeClassifier', 'ExtraTreeRegressor'],
  'sklearn.ensemble._forest': ['RandomForestClassifier', 'RandomForestRegressor', 'ExtraTreesClassifier', 'ExtraTreesRegressor'],
  'sklearn.ensemble._gb': ['GradientBoostingClassifier', 'GradientBoostingRegressor'],
  'sklearn.ensemble._gb_losses': ['LeastSquaresError', 'BinomialDeviance', 'MultinomialDeviance', 'LeastAbsoluteError', 'HuberLossFunction', 'QuantileLossFunction', 'ExponentialLoss'],
  'sklearn.ensemble._hist_gradient_boosting.gradient_boosting': ['HistGradientBoostingClassifier', 'HistGradientBoostingRegressor'],
  'sklearn.ensemble._weight_boosting': ['AdaBoostClassifier', 'AdaBoostRegressor'],
  'sklearn.ensemble._bagging': ['BaggingClassifier', 'BaggingRegressor'],
  'sklearn.ensemble._voting': ['VotingClassifier', 'VotingRegressor'],
  'sklearn.ensemble._stacking': ['StackingClassifier', 'StackingRegressor'],
  'sklearn.ensemble._iforest': ['IsolationForest'],
  'sklearn.dummy': ['DummyClassifier', 'DummyRegressor'],
  'sklearn.linear_model._logistic': ['LogisticRegression', 'LogisticRegressionCV'],
  'sklearn.linear_model._base': ['LinearRegression'],
  'sklearn.linear_model._ridge': ['Ridge', 'RidgeClassifier', 'RidgeCV'],
  'sklearn.linear_model._coordinate_descent': ['Lasso', 'ElasticNet', 'LassoCV', 'ElasticNetCV'],
  'sklearn.linear_model._stochastic_gradient': ['SGDClassifier', 'SGDRegressor'],
  'sklearn.linear_model._perceptron': ['Perceptron'],
  'sklearn.svm._classes': ['SVC', 'SVR', 'LinearSVC', 'LinearSVR', 'NuSVC', 'NuSVR', 'OneClassSVM'],
  'sklearn.neighbors._classification': ['KNeighborsClassifier'],
  'sklearn.neighbors._regression': ['KNeighborsRegressor'],
  'sklearn.neighbors._kd_tree': ['KDTree', 'newObj'],
  'sklearn.neighbors._ball_tree': ['BallTree', 'newObj'],
  'sklearn.naive_bayes': ['MultinomialNB', 'GaussianNB', 'BernoulliNB', 'ComplementNB'],
  'sklearn.cluster._kmeans': ['KMeans', 'MiniBatchKMeans'],
  'sklearn.cluster._dbscan': ['DBSCAN'],
  'sklearn.decomposition._pca': ['PCA'],
  'sklearn.decomposition._truncated_svd': ['TruncatedSVD'],
  'sklearn.neural_network._multilayer_perceptron': ['MLPClassifier', 'MLPRegressor'],
  'sklearn.neural_network._stochastic_optimizers': ['AdamOptimizer', 'SGDOptimizer'],
  'sklearn.pipeline': ['Pipeline', 'FeatureUnion'],
  'sklearn.compose._column_transformer': ['ColumnTransformer'],
  'sklearn.compose._target': ['TransformedTargetRegressor'],
  'sklearn.preprocessing._data': ['StandardScaler', 'MinMaxScaler', 'MaxAbsScaler', 'RobustScaler', 'Normalizer', 'QuantileTransformer', 'PowerTransformer', 'Binarizer'],
  'sklearn.preprocessing._encoders': ['OneHotEncoder', 'OrdinalEncoder'],
  'sklearn.preprocessing._label': ['LabelEncoder', 'LabelBinarizer', 'MultiLabelBinarizer'],
  'sklearn.preprocessing._polynomial': ['PolynomialFeatures', 'SplineTransformer'],
  'sklearn.preprocessing._discretization': ['KBinsDiscretizer'],
  'sklearn.preprocessing._function_transformer': ['FunctionTransformer'],
  'sklearn.impute._base': ['SimpleImputer', 'MissingIndicator'],
  'sklearn.feature_extraction.text': ['TfidfTransformer', 'TfidfVectorizer', 'CountVectorizer', 'HashingVectorizer'],
  'sklearn.feature_selection._univariate_selection': ['SelectKBest', 'SelectPercentile', 'f_classif', 'chi2', 'f_regression'],
  'sklearn.feature_selection._variance_threshold': ['VarianceThreshold'],
  'sklearn.model_selection._search': ['GridSearchCV', 'RandomizedSearchCV'],
  'sklearn._loss.loss': ['HalfBinomialLoss', 'HalfMultinomialLoss', 'HalfSquaredError', 'HalfPoissonLoss'],
  'sklearn._loss.link': ['IdentityLink', 'LogitLink', 'MultinomialLogit', 'Interval'],
  'sklearn._loss._loss': ['CyHalfBinomialLoss', 'CyHalfMultinomialLoss', 'CyHalfSquaredError', '__pyx_unpickle_CyHalfBinomialLoss', '__pyx_unpickle_CyHalfMultinomialLoss', '__pyx_unpickle_CyHalfSquaredError'],
  'xgboost.sklearn': ['XGBClassifier', 'XGBRegressor'],
  'xgboost.core': ['Booster'],
  'lightgbm.sklearn': ['LGBMClassifier', 'LGBMRegressor'],
  'lightgbm.basic': ['Booster'],
  'numpy.core.multiarray': ['_reconstruct', 'scalar'],
  'numpy._core.multiarray': ['_reconstruct', 'scalar'],
  'numpy.core.numeric': ['_frombuffer'],
  'numpy._core.numeric': ['_frombuffer'],
  numpy: ['ndarray', 'dtype', 'int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64', 'float64', 'float32', 'float16', 'bool_', 'complex64', 'complex128', 'str_', 'bytes_', 'object_', 'void'],
  'numpy.random._pickle': ['__randomstate_ctor', '__bit_generator_ctor', '__generator_ctor'],
  'numpy.random.mtrand': ['RandomState'],
  'numpy.random._mt19937': ['MT19937'],
  'numpy.random._pcg64': ['PCG64'],
  'numpy.ma.core': ['_mareconstruct', 'MaskedArray'],
  'torch._utils': ['_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_sparse_tensor', '_rebuild_qtensor', '_rebuild_device_tensor_from_numpy', '_rebuild_meta_tensor_no_storage', '_rebuild_wrapper_subclass', '_rebuild_nested_tensor'],
  torch: ['Size', 'device', 'dtype', 'FloatStorage', 'DoubleStorage', 'HalfStorage', 'BFloat16Storage', 'LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage', 'ComplexFloatStorage', 'ComplexDoubleStorage', 'QInt8Storage', 'QUInt8Storage', 'QInt32Storage', 'UntypedStorage', 'float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'complex64', 'complex128', 'strided', 'sparse_coo', 'contiguous_format', 'channels_last', 'preserve_format', 'per_tensor_affine', 'per_channel_affine'],
  'torch.storage': ['TypedStorage', 'UntypedStorage'],
  'torch.nn.parameter': ['Parameter'],
  'torch.nn.modules.container': ['Sequential', 'ModuleList', 'ModuleDict', 'ParameterList', 'ParameterDict'],
  'torch.nn.modules.linear': ['Linear', 'Identity', 'Bilinear', 'LazyLinear', 'NonDynamicallyQuantizableLinear'],
  'torch.nn.modules.activation': ['ReLU', 'GELU', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'LeakyReLU', 'SiLU', 'ELU', 'MultiheadAttention', 'Hardtanh', 'PReLU', 'Softplus', 'Mish', 'Hardswish'],
  'torch.nn.modules.conv': ['Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d'],
  'torch.nn.modules.batchnorm': ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d'],
  'torch.nn.modules.normalization': ['LayerNorm', 'GroupNorm'],
  'torch.nn.modules.dropout': ['Dropout', 'Dropout2d', 'Dropout1d', 'Dropout3d'],
  'torch.nn.modules.pooling': ['MaxPool1d', 'MaxPool2d', 'AvgPool1d', 'AvgPool2d', 'AdaptiveAvgPool1d', 'AdaptiveAvgPool2d', 'AdaptiveMaxPool2d'],
  'torch.nn.modules.sparse': ['Embedding', 'EmbeddingBag'],
  'torch.nn.modules.rnn': ['LSTM', 'GRU', 'RNN', 'LSTMCell', 'GRUCell'],
  'torch.nn.modules.flatten': ['Flatten', 'Unflatten'],
  'torch.nn.modules.transformer': ['Transformer', 'TransformerEncoder', 'TransformerEncoderLayer', 'TransformerDecoder', 'TransformerDecoderLayer'],
  'torch.nn.modules.loss': ['CrossEntropyLoss', 'MSELoss', 'NLLLoss', 'BCELoss', 'BCEWithLogitsLoss', 'L1Loss'],
  'torch.nn.modules.module': ['_IncompatibleKeys'],
  'torch.optim.adam': ['Adam'],
  'torch.optim.adamw': ['AdamW'],
  'torch.optim.sgd': ['SGD'],
};

export const ALLOW: ReadonlySet<string> = new Set(
  Object.entries(ALLOW_LIST).flatMap(([m, names]) => names.map((n) => `${m}:${n}`)),
);
