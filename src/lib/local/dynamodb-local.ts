import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {CruddurError} from '../errors.js'
import {ensurePrivateDir, makePrivateDirectories} from '../private-files.js'
import {identityOf, isAlive} from '../process-identity.js'
import type {DynamoDbRecord} from '../stack-state.js'
import {hasProgram, logTail, spawnDetached, stopProcess} from './process.js'
import {waitForPort} from './ports.js'

/** The official DynamoDB Local from Maven Central; 3.x ships a patched log4j. */
export const DYNAMODB_LOCAL_VERSION = '3.3.1'
const MAIN_CLASS = 'software.amazon.dynamodb.services.local.main.ServerRunner'

const pom = (version: string) => `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>cruddur.local</groupId>
  <artifactId>dynamodb-local-fetch</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>software.amazon.dynamodb</groupId>
      <artifactId>DynamoDBLocal</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`

/**
 * Makes sure DynamoDB Local and its dependencies are in the cache directory, fetching them with Maven the
 * first time. Returns the directory holding the jars and the native SQLite library.
 */
export function ensureDynamoDbLocal(cacheDir: string, version = DYNAMODB_LOCAL_VERSION): string {
  const home = join(cacheDir, 'dynamodb-local', version)
  const lib = join(home, 'lib')
  if (existsSync(join(home, '.complete'))) return lib

  if (!hasProgram('mvn', ['-v'])) {
    throw new CruddurError(
      'MISSING_TOOL',
      'Maven is needed once to fetch DynamoDB Local from Maven Central: install it (e.g. ' +
        '`apt-get install maven`), then run `cruddur local start` again.',
    )
  }

  // Fetch into a private directory and rename it into place, so concurrent starts never see half a download.
  const staging = join(cacheDir, 'dynamodb-local', `.${version}.${process.pid}`)
  rmSync(staging, {force: true, recursive: true})
  makePrivateDirectories(staging)
  writeFileSync(join(staging, 'pom.xml'), pom(version))
  const fetch = spawnSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], {
    cwd: staging,
    encoding: 'utf8',
  })
  if (fetch.status !== 0) {
    rmSync(staging, {force: true, recursive: true})
    const reason =
      `${fetch.stdout ?? ''}${fetch.stderr ?? ''}`.split('\n').find((line) => line.includes('ERROR')) ??
      `exit code ${fetch.status}`
    throw new CruddurError(
      'MISSING_TOOL',
      `Could not download DynamoDB Local ${version} from Maven Central (${reason.trim()}): check ` +
        `your network or Maven settings, then retry.`,
    )
  }

  // sqlite4java looks for its native library under its plain name, Maven stores it with a version.
  const stagedLib = join(staging, 'lib')
  for (const file of readdirSync(stagedLib)) {
    const plain = file.replace(/-\d+(\.\d+)+(\.(so|dylib|dll))$/, '$2')
    if (plain !== file) copyFileSync(join(stagedLib, file), join(stagedLib, plain))
  }

  writeFileSync(join(staging, '.complete'), new Date().toISOString())
  try {
    renameSync(staging, home)
  } catch {
    // Another process finished first; its copy is as good as ours.
    rmSync(staging, {force: true, recursive: true})
  }

  return lib
}

const LOOPBACK_CLASS = 'CruddurLoopbackDynamoDb'

// DynamoDB Local 3.x has no option for the address it listens on (its Jetty server binds every interface),
// so this runner sets 127.0.0.1 on the server's connector before starting it.
const loopbackSource = `import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class ${LOOPBACK_CLASS} {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start();
    System.out.println("DynamoDB Local listening on 127.0.0.1 only");
  }
}
`

/**
 * The directory of the compiled loopback-only runner, built once with javac next to the jars; undefined
 * when there is no Java compiler (a JRE only), and DynamoDB Local then listens on every interface.
 */
export function ensureLoopbackRunner(lib: string): string | undefined {
  const dir = join(lib, '..', 'loopback')
  if (existsSync(join(dir, `${LOOPBACK_CLASS}.class`))) return dir
  if (!hasProgram('javac', ['-version'])) return undefined
  const staging = `${dir}.${process.pid}`
  rmSync(staging, {force: true, recursive: true})
  makePrivateDirectories(staging)
  writeFileSync(join(staging, `${LOOPBACK_CLASS}.java`), loopbackSource)
  const compile = spawnSync('javac', ['-cp', `${lib}/*`, '-d', staging, join(staging, `${LOOPBACK_CLASS}.java`)], {
    encoding: 'utf8',
  })
  if (compile.status !== 0) {
    rmSync(staging, {force: true, recursive: true})
    return undefined
  }

  try {
    renameSync(staging, dir)
  } catch {
    rmSync(staging, {force: true, recursive: true}) // another start finished first
  }

  return dir
}

export const ALL_INTERFACES_WARNING =
  'DynamoDB Local listens on every network interface (its release has no option for the ' +
  'address, and the loopback-only runner needs a Java compiler): anyone who reaches this ' +
  'machine can read and drop its tables. Install a JDK (e.g. `apt-get install ' +
  'openjdk-17-jdk-headless`) and restart the stack.'

const JAVA_NEEDED =
  'Java 17 or newer is needed to run DynamoDB Local: install it (e.g. `apt-get install openjdk-17-jre-headless`)'

/** The major version `java -version` reports ("1.8.0_392" is 8, "17.0.15" is 17), or undefined. */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput)
  if (!match) return undefined
  const major = Number(match[1])
  return major === 1 && match[2] ? Number(match[2]) : major
}

export function checkJava(): void {
  const result = spawnSync('java', ['-version'], {encoding: 'utf8'})
  if (result.error) throw new CruddurError('MISSING_TOOL', `${JAVA_NEEDED}.`)
  const major = javaMajorVersion(`${result.stderr}${result.stdout}`)
  if (major !== undefined && major < 17)
    throw new CruddurError(
      'MISSING_TOOL',
      `${JAVA_NEEDED}; \`java\` here is Java ${major} (set JAVA_HOME or PATH to a newer one).`,
    )
}

export interface StartDynamoDbLocalOptions {
  cacheDir: string
  /** Where data and the log go. */
  dir: string
  port: number
  inMemory: boolean
}

export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions): Promise<DynamoDbRecord> {
  checkJava()
  const lib = ensureDynamoDbLocal(options.cacheDir)
  const loopback = ensureLoopbackRunner(lib)
  const dataDir = join(options.dir, 'dynamodb')
  ensurePrivateDir(dataDir)
  const log = join(options.dir, 'dynamodb.log')
  const storage = options.inMemory ? ['-inMemory'] : ['-dbPath', dataDir]
  const classPath = loopback ? `${lib}/*:${loopback}` : `${lib}/*`
  const pid = spawnDetached(
    'java',
    [
      `-Djava.library.path=${lib}`,
      '-Xms64m',
      '-cp',
      classPath,
      loopback ? LOOPBACK_CLASS : MAIN_CLASS,
      '-port',
      String(options.port),
      '-sharedDb',
      '-disableTelemetry',
      ...storage,
    ],
    {cwd: options.dir, log},
  )
  const started = identityOf(pid)
  try {
    await waitForPort(options.port, {protocol: 'http', stillRunning: () => isAlive(pid), timeoutMs: 60_000})
  } catch (error) {
    await stopProcess(pid, started)
    throw new CruddurError(
      'FAILED',
      `DynamoDB Local did not start on port ${options.port} (${(error as Error).message}): see ` +
        `${log}. ${logTail(log, 3)}`,
    )
  }

  return {
    ...identityOf(pid),
    // 127.0.0.1, not localhost: the server listens on IPv4 loopback only, and localhost may resolve to ::1.
    endpoint: `http://127.0.0.1:${options.port}`,
    inMemory: options.inMemory,
    log,
    loopbackOnly: loopback !== undefined,
    pid,
    port: options.port,
    version: DYNAMODB_LOCAL_VERSION,
  }
}
