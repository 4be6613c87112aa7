import { type LexError, Lexer, type Token } from './tokenizer.js';

/**
 * Which calls in a Python file reach processes, dynamic code, the network
 * or file deletion, read from its tokens (strings and comments are not
 * code) with import aliases resolved: `import subprocess as sp; sp.run()`,
 * `from os import system; system()`, `from os import *`, `run =
 * subprocess.run`, `getattr(os, 'system')(…)`. Nothing is executed; a name
 * bound at run time in other ways is not followed.
 */

export type Category = 'process' | 'code' | 'network' | 'file deletion';

export interface Call {
  /** The resolved name: `subprocess.run`. */
  name: string;
  /** As written: `sp.run`, `getattr(os, 'system')`. */
  written: string;
  category: Category;
  /** Character index of the call's first token. */
  index: number;
}

export interface Analysis {
  calls: Call[];
  /** Well-formed `import`, `from … import`, `def` and `class` statements: what only Python text holds. */
  statements: number;
  errors: LexError[];
}

const PROCESS: Category = 'process';
const CODE: Category = 'code';
const NET: Category = 'network';
const DELETE: Category = 'file deletion';

const DANGEROUS = new Map<string, Category>([
  ...[
    'system',
    'popen',
    'popen2',
    'popen3',
    'popen4',
    'spawnl',
    'spawnle',
    'spawnlp',
    'spawnlpe',
    'spawnv',
    'spawnve',
    'spawnvp',
    'spawnvpe',
    'execl',
    'execle',
    'execlp',
    'execlpe',
    'execv',
    'execve',
    'execvp',
    'execvpe',
    'fork',
    'forkpty',
    'posix_spawn',
    'posix_spawnp',
    'startfile',
  ].map((n): [string, Category] => [`os.${n}`, PROCESS]),
  ['pty.spawn', PROCESS],
  ['pty.fork', PROCESS],
  ['platform.popen', PROCESS],
  ['asyncio.create_subprocess_exec', PROCESS],
  ['asyncio.create_subprocess_shell', PROCESS],
  ...['eval', 'exec', 'compile', '__import__', 'execfile'].map((n): [string, Category] => [`builtins.${n}`, CODE]),
  ['importlib.import_module', CODE],
  ['importlib.__import__', CODE],
  ['runpy.run_path', CODE],
  ['runpy.run_module', CODE],
  ['socket.socket', NET],
  ['socket.create_connection', NET],
  ['socket.create_server', NET],
  ['urllib.request.urlopen', NET],
  ['urllib.request.urlretrieve', NET],
  ['urllib.request.build_opener', NET],
  ['urllib.urlopen', NET],
  ['urllib.urlretrieve', NET],
  ['urllib2.urlopen', NET],
  ['urllib2.build_opener', NET],
  ...['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request'].flatMap((n): [string, Category][] => [
    [`requests.${n}`, NET],
    [`httpx.${n}`, NET],
  ]),
  ['httpx.stream', NET],
  ['httpx.Client', NET],
  ['httpx.AsyncClient', NET],
  ['http.client.HTTPConnection', NET],
  ['http.client.HTTPSConnection', NET],
  ['httplib.HTTPConnection', NET],
  ['httplib.HTTPSConnection', NET],
  ['ftplib.FTP', NET],
  ['ftplib.FTP_TLS', NET],
  ['smtplib.SMTP', NET],
  ['smtplib.SMTP_SSL', NET],
  ['telnetlib.Telnet', NET],
  ['aiohttp.ClientSession', NET],
  ['aiohttp.request', NET],
  ['webbrowser.open', NET],
  ['webbrowser.open_new', NET],
  ['webbrowser.open_new_tab', NET],
  ['os.remove', DELETE],
  ['os.unlink', DELETE],
  ['os.rmdir', DELETE],
  ['os.removedirs', DELETE],
  ['shutil.rmtree', DELETE],
]);

/** Modules every callable of which is a finding. */
const WHOLE_MODULES: readonly [string, Category][] = [
  ['subprocess', PROCESS],
  ['commands', PROCESS],
  ['popen2', PROCESS],
  ['requests.api', NET],
];

/** Names Python resolves from builtins when nothing else binds them. */
const BUILTINS = new Set(['eval', 'exec', 'compile', '__import__', 'execfile']);

/** Modules that are another module under another name. */
const MODULE_ALIASES: Record<string, string> = { posix: 'os', nt: 'os', __builtin__: 'builtins', __builtins__: 'builtins' };

const MAX_CHAIN = 64;
const MAX_CALLS = 1000;
const MAX_STARS = 32;

export function dangerous(name: string): Category | undefined {
  const exact = DANGEROUS.get(name);
  if (exact) return exact;
  for (const [m, cat] of WHOLE_MODULES) if (name.startsWith(`${m}.`)) return cat;
  return undefined;
}

export function analyse(text: string, checkpoint: () => void = () => {}): Analysis {
  return new Analyser(new Lexer(text), checkpoint).run();
}

class Analyser {
  private readonly queue: Token[] = [];
  private readonly aliases = new Map<string, string>();
  private readonly shadowed = new Set<string>();
  private readonly stars: string[] = [];
  private readonly calls: Call[] = [];
  private statements = 0;
  private steps = 0;

  constructor(
    private readonly lexer: Lexer,
    private readonly checkpoint: () => void,
  ) {}

  run(): Analysis {
    let prev: Token | undefined;
    let stmtStart = true;
    /** `name =` at a statement's start: if a bare dotted name follows, `name` becomes its alias. */
    let assignTo: string | undefined;
    for (;;) {
      if ((++this.steps & 0x3fff) === 0) this.checkpoint();
      const t = this.next();
      if (!t) break;
      if (t.kind === 'newline' || isOp(t, ';')) {
        stmtStart = true;
        prev = t;
        continue;
      }
      if (t.kind === 'name' && !isOp(prev, '.')) {
        if (stmtStart && t.text === 'import') {
          this.importStatement();
          stmtStart = false;
          prev = undefined;
          continue;
        }
        if (stmtStart && t.text === 'from') {
          this.fromStatement();
          stmtStart = false;
          prev = undefined;
          continue;
        }
        if ((t.text === 'def' || t.text === 'class') && this.peek(0)?.kind === 'name') {
          const name = this.next()!;
          this.shadowed.add(name.text);
          this.aliases.delete(name.text);
          const after = this.peek(0);
          if (isOp(after, '(') || (t.text === 'class' && isOp(after, ':'))) this.statements++;
          prev = name;
          stmtStart = false;
          assignTo = undefined;
          continue;
        }
        const chain = this.chain(t);
        const last = chain[chain.length - 1];
        const after = this.peek(0);
        if (isOp(after, '(')) this.call(chain);
        else if (assignTo !== undefined && isOp(prev, '=') && (after === undefined || after.kind === 'newline' || isOp(after, ';'))) {
          this.aliases.set(assignTo, this.resolve(chain.map((c) => c.text)));
          this.shadowed.delete(assignTo);
        } else if (stmtStart && chain.length === 1 && isOp(after, '=')) {
          assignTo = t.text;
          this.shadowed.add(t.text);
          this.aliases.delete(t.text);
          prev = last;
          stmtStart = false;
          continue;
        }
        prev = last;
        stmtStart = false;
        if (!isOp(after, '=')) assignTo = undefined;
        continue;
      }
      if (!isOp(t, '=')) assignTo = undefined;
      prev = t;
      stmtStart = false;
    }
    return { calls: this.calls, statements: this.statements, errors: this.lexer.errors };
  }

  private next(): Token | undefined {
    return this.queue.length ? this.queue.shift() : this.lexer.next();
  }

  private peek(k: number): Token | undefined {
    while (this.queue.length <= k) {
      const t = this.lexer.next();
      if (!t) return undefined;
      this.queue.push(t);
    }
    return this.queue[k];
  }

  /** `a.b.c` starting at `first`: the names, with the dots and names after the first consumed. */
  private chain(first: Token): Token[] {
    const chain = [first];
    while (chain.length < MAX_CHAIN && isOp(this.peek(0), '.') && this.peek(1)?.kind === 'name') {
      this.next();
      chain.push(this.next()!);
    }
    return chain;
  }

  private importStatement(): void {
    let ok = false;
    for (let n = 0; n < 256; n++) {
      const first = this.peek(0);
      if (first?.kind !== 'name') break;
      const dotted = this.chain(this.next()!).map((t) => t.text);
      let local = dotted[0];
      let target = dotted[0];
      if (this.peek(0)?.kind === 'name' && this.peek(0)!.text === 'as' && this.peek(1)?.kind === 'name') {
        this.next();
        local = this.next()!.text;
        target = dotted.join('.');
      }
      this.bind(local, target);
      if (!isOp(this.peek(0), ',')) {
        ok = this.atEnd();
        break;
      }
      this.next();
    }
    if (ok) this.statements++;
  }

  private fromStatement(): void {
    let relative = false;
    while (isOp(this.peek(0), '.') || isOp(this.peek(0), '...')) {
      relative = true;
      this.next();
    }
    let module = '';
    if (this.peek(0)?.kind === 'name' && this.peek(0)!.text !== 'import')
      module = this.chain(this.next()!)
        .map((t) => t.text)
        .join('.');
    if (this.peek(0)?.kind !== 'name' || this.peek(0)!.text !== 'import' || (!module && !relative)) return;
    this.next();
    if (isOp(this.peek(0), '*')) {
      this.next();
      if (!relative && this.stars.length < MAX_STARS) this.stars.push(canonical(module));
      if (this.atEnd()) this.statements++;
      return;
    }
    const paren = isOp(this.peek(0), '(');
    if (paren) this.next();
    let ok = false;
    for (let n = 0; n < 4096; n++) {
      const name = this.peek(0);
      if (name?.kind !== 'name') {
        ok = paren && isOp(name, ')');
        break;
      }
      this.next();
      let local = name.text;
      if (this.peek(0)?.kind === 'name' && this.peek(0)!.text === 'as' && this.peek(1)?.kind === 'name') {
        this.next();
        local = this.next()!.text;
      }
      // A package's own modules are not the standard library's, whatever their names.
      if (relative) {
        this.aliases.delete(local);
        this.shadowed.add(local);
      } else this.bind(local, `${module}.${name.text}`);
      if (!isOp(this.peek(0), ',')) {
        ok = paren ? isOp(this.peek(0), ')') : this.atEnd();
        break;
      }
      this.next();
    }
    if (paren && isOp(this.peek(0), ')')) this.next();
    if (ok) this.statements++;
  }

  private bind(local: string, target: string): void {
    this.aliases.set(local, canonical(target));
    this.shadowed.delete(local);
  }

  private atEnd(): boolean {
    const t = this.peek(0);
    return t === undefined || t.kind === 'newline' || isOp(t, ';');
  }

  private resolve(names: string[]): string {
    const head = names[0];
    const bound = this.aliases.get(head);
    if (bound !== undefined) return canonical([bound, ...names.slice(1)].join('.'));
    if (names.length === 1 && !this.shadowed.has(head)) {
      if (BUILTINS.has(head)) return `builtins.${head}`;
      for (const m of this.stars) if (dangerous(`${m}.${head}`)) return `${m}.${head}`;
    }
    return canonical(names.join('.'));
  }

  private call(chain: Token[]): void {
    const names = chain.map((t) => t.text);
    let name = this.resolve(names);
    let written = names.join('.');
    // getattr(module, 'name')(…): the attribute is named by a string, but a constant one.
    if (name === 'getattr' || name === 'builtins.getattr') {
      const target = this.getattrTarget();
      if (!target) return;
      name = target.name;
      written = target.written;
    }
    const category = dangerous(name);
    if (category && this.calls.length < MAX_CALLS) this.calls.push({ name, written, category, index: chain[0].index });
  }

  /** `(module.path, 'name')` after getattr, looked at without consuming it. */
  private getattrTarget(): { name: string; written: string } | undefined {
    if (!isOp(this.peek(0), '(')) return undefined;
    const names: string[] = [];
    let k = 1;
    for (; k < 2 * MAX_CHAIN; k += 2) {
      const n = this.peek(k);
      if (n?.kind !== 'name') return undefined;
      names.push(n.text);
      if (!isOp(this.peek(k + 1), '.')) break;
    }
    const attr = this.peek(k + 2);
    if (!isOp(this.peek(k + 1), ',') || attr?.kind !== 'string' || !/^[A-Za-z_][\w.]*$/.test(attr.text)) return undefined;
    const quote = "'";
    return { name: `${this.resolve(names)}.${attr.text}`, written: `getattr(${names.join('.')}, ${quote}${attr.text}${quote})` };
  }
}

function isOp(t: Token | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'op' && t.text === text;
}

function canonical(name: string): string {
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  return Object.hasOwn(MODULE_ALIASES, head) ? MODULE_ALIASES[head] + (dot < 0 ? '' : name.slice(dot)) : name;
}
