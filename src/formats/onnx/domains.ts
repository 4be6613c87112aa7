import type { Severity } from '../../scan/findings.js';

/**
 * Operator domains a stock ONNX runtime implements itself. `com.microsoft`
 * and its siblings are onnxruntime's built-in contrib operators: shipped in
 * every onnxruntime build, no library to register (transformer exports use
 * them routinely).
 */
const BUILT_IN = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'ai.onnx.training',
  'ai.onnx.preview.training',
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.ms.internal.nhwc',
]);

/**
 * What a node's domain implies about loading the model: undefined for
 * operators the runtime has; otherwise the severity and why. Any other
 * domain needs a custom operator library registered with the session:
 * native code (or, for onnxruntime-extensions' PyOp, Python callbacks) that
 * the model file names but does not contain.
 */
export function judgeDomain(domain: string): { severity: Severity; why: string } | undefined {
  if (BUILT_IN.has(domain)) return undefined;
  if (domain === 'org.pytorch.aten') {
    return { severity: 'LOW', why: "needs PyTorch's ATen operators at run time (an ATen-fallback export)" };
  }
  if (domain === 'ai.onnx.contrib') {
    return {
      severity: 'MEDIUM',
      why: 'needs the onnxruntime-extensions custom-op library registered, whose PyOp runs Python callbacks',
    };
  }
  return { severity: 'MEDIUM', why: 'needs a custom operator library (native code outside the model) registered to load' };
}
