import { DEFAULT_SCAN_LIMITS } from '../scan/limits.js';
import { VERSION } from '../version.js';

/** modelscan's scanner names: accepted so existing settings files load, never imported. */
export const MODELSCAN_SCANNERS: Readonly<Record<string, readonly string[]>> = {
  'modelscan.scanners.H5LambdaDetectScan': ['.h5'],
  'modelscan.scanners.KerasLambdaDetectScan': ['.keras'],
  'modelscan.scanners.SavedModelLambdaDetectScan': ['.pb'],
  'modelscan.scanners.SavedModelTensorflowOpScan': ['.pb'],
  'modelscan.scanners.NumpyUnsafeOpScan': ['.npy'],
  'modelscan.scanners.PickleUnsafeOpScan': ['.pkl', '.pickle', '.joblib', '.dill', '.dat', '.data'],
  'modelscan.scanners.PyTorchUnsafeOpScan': ['.bin', '.pt', '.pth', '.ckpt'],
};

export const FORMAT_MIDDLEWARE = 'modelscan.middlewares.FormatViaExtensionMiddleware';

/** Reporters chosen by name (`-r custom` reads `reporting.module`); nothing is ever loaded from a path. */
export const REPORTER_NAMES: Readonly<Record<string, 'console' | 'json' | 'sarif'>> = {
  'modelscan.reports.ConsoleReport': 'console',
  'modelscan.reports.JSONReport': 'json',
  'modelscan.reports.SARIFReport': 'sarif',
  console: 'console',
  json: 'json',
  sarif: 'sarif',
};

const EXEC_BUILTINS = ['eval', 'compile', 'getattr', 'apply', 'exec', 'open', 'breakpoint', '__import__'];

/**
 * The complete default settings document: modelscan's shape (so its files
 * keep working) plus ours. `create-settings-file` writes exactly this, and
 * loading it back gives the built-in behaviour.
 */
export function defaultSettingsDocument(): Record<string, unknown> {
  const l = DEFAULT_SCAN_LIMITS;
  return {
    modelscan_version: VERSION,
    supported_zip_extensions: ['.zip', '.npz'],
    fail_on: 'LOW',
    scanners: Object.fromEntries(
      Object.entries(MODELSCAN_SCANNERS).map(([name, exts]) => {
        const table: Record<string, unknown> = { enabled: true, supported_extensions: [...exts] };
        if (name.endsWith('SavedModelLambdaDetectScan')) table.unsafe_keras_operators = { Lambda: 'MEDIUM' };
        if (name.endsWith('SavedModelTensorflowOpScan')) table.unsafe_tf_operators = { ReadFile: 'HIGH', WriteFile: 'HIGH' };
        return [name, table];
      }),
    ),
    middlewares: {
      [FORMAT_MIDDLEWARE]: {
        formats: {
          tensorflow: ['.pb'],
          keras_h5: ['.h5'],
          keras: ['.keras'],
          numpy: ['.npy'],
          pytorch: ['.bin', '.pt', '.pth', '.ckpt'],
          pickle: ['.pkl', '.pickle', '.joblib', '.dill', '.dat', '.data'],
        },
      },
    },
    unsafe_globals: {
      CRITICAL: {
        __builtin__: EXEC_BUILTINS,
        builtins: EXEC_BUILTINS,
        runpy: '*',
        os: '*',
        nt: '*',
        posix: '*',
        socket: '*',
        subprocess: '*',
        sys: '*',
        operator: ['attrgetter'],
        pty: '*',
        pickle: '*',
        _pickle: '*',
        bdb: '*',
        pdb: '*',
        shutil: '*',
        asyncio: '*',
      },
      HIGH: { webbrowser: '*', httplib: '*', 'requests.api': '*', 'aiohttp.client': '*' },
      MEDIUM: {},
      LOW: {},
    },
    allow: {},
    unknown_globals: { min_severity: 'LOW' },
    blacklist: [],
    limits: {
      max_file_size: 0,
      timeout: 0,
      max_depth: l.maxDepth,
      max_streams: l.maxStreams,
      max_stack: l.pickle.maxStack,
      max_memo_entries: l.pickle.maxMemoEntries,
      memo_budget_mb: l.pickle.memoBudgetBytes / (1 << 20),
      max_decompressed_bytes: l.maxDecompressedBytes,
      max_compression_ratio: l.maxCompressionRatio,
      max_entries: l.maxEntries,
      concurrency: 4,
    },
    reporting: { module: 'modelscan.reports.ConsoleReport', settings: {} },
  };
}
