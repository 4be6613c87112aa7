export { kerasConfigFormat } from './config-json.js';
export { kerasH5Format } from './h5.js';
