import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { Database, Dialect } from '../packages/server/src/db/database.js'
import { openDatabase } from '../packages/server/src/db/database.js'
import { migrateUp } from '../packages/server/src/db/migrator.js'
import type { PageRequest } from '../packages/server/src/db/pagination.js'
import { pageRequest, toPage } from '../packages/server/src/db/pagination.js'
import type { ExecutionFilter } from '../packages/server/src/executions/store.js'
import { executionStore, searchWindow, searchWords } from '../packages/server/src/executions/store.js'
import type { LatencySummary } from './load.js'
import { summarizeLatencies } from './load.js'
import type { Machine } from './report.js'
import { describeMachine, gitRevision, markdownTable, writeSection } from './report.js'

/**
 * Search over a million executions: fills a fresh SQLite file and a fresh PostgreSQL database with
 * generated execution records, then times `GET /v1/executions` queries (no filter, status, action,
 * free text of rare, medium and common words, a cursor page, a time window) by calling the
 * execution store's `list` directly. See bench/README.md.
 */

const usage = `Usage: node --conditions=@toolplane/source --import tsx bench/search.ts [options]

  --rows=<n>          executions in the searched workspace (default 1000000)
  --other-rows=<n>    executions in a second workspace sharing the same words (default 100000)
  --dialect=<d>       sqlite, postgres or both (default both)
  --repetitions=<n>   timed calls per query (default 20)
  --warmup=<n>        untimed calls per query before them (default 3)
  --write             write the results into docs/benchmarks.md
  --keep              keep the databases afterwards and print where they are (to look at query plans)
`

const dialectChoices = ['sqlite', 'postgres', 'both'] as const

interface Options {
  readonly rows: number
  readonly otherRows: number
  readonly dialects: readonly Dialect[]
  readonly repetitions: number
  readonly warmup: number
  readonly write: boolean
  readonly keep: boolean
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rows: { type: 'string' },
      'other-rows': { type: 'string' },
      dialect: { type: 'string' },
      repetitions: { type: 'string' },
      warmup: { type: 'string' },
      write: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const count = (name: string, text: string | undefined, fallback: number, least: number) => {
    if (text === undefined) return fallback
    const value = Number(text.replaceAll('_', ''))
    if (!Number.isInteger(value) || value < least)
      throw new Error(`--${name}: expected a whole number of at least ${String(least)}, got "${text}"`)
    return value
  }
  const dialect = dialectChoices.find((choice) => choice === (values.dialect ?? 'both'))
  if (dialect === undefined)
    throw new Error(`--dialect: expected ${dialectChoices.join(', ')}, got "${values.dialect ?? ''}"`)
  return {
    rows: count('rows', values.rows, 1_000_000, 1000),
    otherRows: count('other-rows', values['other-rows'], 100_000, 0),
    dialects: dialect === 'both' ? ['sqlite', 'postgres'] : [dialect],
    repetitions: count('repetitions', values.repetitions, 20, 1),
    warmup: count('warmup', values.warmup, 3, 0),
    write: values.write,
    keep: values.keep,
  }
}

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url))
const postgresAdminUrl =
  process.env.TOOLPLANE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Set on Ctrl-C, while the bench database is dropped. */
let interrupted = false

/**
 * Lets the event loop run. better-sqlite3 is synchronous, so a SQLite run is otherwise one chain of
 * promise callbacks that never returns to the loop, and Ctrl-C would wait for the end of the run.
 */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`)
}

/**
 * The words the generated rows carry, by how often. Each is a whole word that is no other word's
 * prefix, since `q` matches word prefixes.
 */
const words = {
  /** Every 10,000th row. */
  rare: 'quasar',
  /** Every 10th row. */
  medium: 'invoice',
  /** Every row (the customer's name in every input). */
  common: 'acme',
  /** The oldest 3,000 rows only: more than the probe's limit, all at the far end of the newest-first walk. */
  old: 'legacy',
} as const

const oldRows = 3000
const span = 30 * 24 * 3600_000

// ---------------------------------------------------------------------------------------------------
// Generating the rows

interface Workspace {
  readonly id: string
  readonly slug: string
  /** Three hex digits inside every id, so the two workspaces' ids never collide. */
  readonly tag: string
  readonly rows: number
}

interface Generation {
  readonly workspace: Workspace
  /** Row numbers `first..last` (1-based) of this chunk. */
  readonly first: number
  readonly last: number
  /** Epoch milliseconds of row 0; row n is created at `start + n * step`. */
  readonly start: number
  readonly step: number
}

/**
 * Inserts one chunk of generated executions with a single INSERT … SELECT, computed inside the
 * database (a recursive CTE on SQLite, generate_series on PostgreSQL), so the bench measures the
 * database and its triggers and indexes rather than the driver.
 *
 * Row n (1-based) of a workspace:
 * - id: a UUIDv7 of its creation time, so ordering by id is ordering by time as in production;
 * - tool: http.request 40 %, github.create_issue 25 %, slack.post_message 25 %, stripe.create_customer 10 %;
 * - status: succeeded 88 %, failed 10 % (six error classes in turn), cancelled 2 %; the newest 20 rows
 *   queued or running;
 * - input, output, error and attempts as JSON of realistic shape; `search_text` as `searchTextOf`
 *   builds it: the action, the error class and message, and the input and output values as words;
 * - the input's `reference` carries `invoice` when n % 10 = 7, `quasar` when n % 10,000 = 4,321, and
 *   `legacy` when n ≤ 3,000; every input names the customer `acme`.
 */
async function insertChunk(database: Database, chunk: Generation): Promise<void> {
  const { db, dialect } = database
  const postgres = dialect === 'postgres'
  const { workspace } = chunk
  const integer = (value: number) => (postgres ? sql`${value}::bigint` : sql`cast(${value} as integer)`)
  const text = (value: string) => (postgres ? sql`${value}::text` : sql`${value}`)
  const hex12 = (expression: RawBuilder<unknown>) =>
    postgres ? sql`lpad(to_hex(${expression}), 12, '0')` : sql`printf('%012x', ${expression})`
  const head = postgres
    ? sql``
    : sql`with recursive seq(n) as (select ${integer(chunk.first)} union all select n + 1 from seq where n < ${integer(chunk.last)}) `
  const source = postgres
    ? sql`generate_series(${integer(chunk.first)}, ${integer(chunk.last)}) as seq(n)`
    : sql`seq`

  await sql`${head}insert into executions (id, workspace_id, tool, action, credential_id, mode, status, input,
      input_sealed, output, error, error_class, attempts, transform, options, batch_id, batch_index, retry_of,
      correlation_id, cancel_requested, search_text, created_at, started_at, finished_at, duration_ms)
    select
      substr(h, 1, 8) || '-' || substr(h, 9, 4) || ${text(`-7${workspace.tag}-8000-`)} || ${hex12(sql`n`)},
      ${text(workspace.id)},
      tool,
      action,
      case when tool = 'http' then null else 'cred_' || tool || '_acme' end,
      case when n % 5 = 0 then 'sync' else 'async' end,
      status,
      input,
      null,
      case when status = 'succeeded' then output end,
      case when error_class is not null then '{"class":"' || error_class || '","message":"' || message ||
        '","retryable":' || retryable || ',"suggestions":[{"title":"' || hint || '","detail":"' || hint ||
        ' and run the execution again."}]}' end,
      error_class,
      case when status = 'queued' then '[]' else '[{"number":1,"status":"' ||
        case when status = 'succeeded' then 'succeeded' else 'failed' end || '","httpStatus":' || http_status ||
        ',"errorClass":' || case when error_class is null then 'null' else '"' || error_class || '"' end ||
        ',"startedAt":' || (ts + 3) || ',"durationMs":' || duration || '}]' end,
      null, null, null, null, null,
      'req_' || substr(h, 5, 8) || ${hex12(sql`n`)},
      0,
      tool || ' ' || replace(action, '_', ' ') || ' ' || tool || ' ' || replace(action, '_', ' ') ||
        case when error_class is null then '' else ' ' || replace(error_class, '_', ' ') || ' ' || message end ||
        ' ' || input_words || case when status = 'succeeded' then ' ' || output_words else '' end,
      ts,
      case when status = 'queued' then null else ts + 3 end,
      case when status in ('queued', 'running') then null else ts + 3 + duration end,
      case when status in ('queued', 'running') then null else duration end
    from (
      select n, ts, h, tool, action, status, duration,
        case
          when status = 'cancelled' then 'cancelled'
          when status <> 'failed' then null
          when e = 0 then 'rate_limited' when e = 1 then 'upstream_error' when e = 2 then 'timeout'
          when e = 3 then 'network_error' when e = 4 then 'auth_error' else 'validation_error' end as error_class,
        case
          when status = 'cancelled' then 'Cancelled by a user'
          when e = 0 then 'The upstream answered 429 Too Many Requests'
          when e = 1 then 'The upstream answered 502 Bad Gateway'
          when e = 2 then 'No answer within 30000 ms'
          when e = 3 then 'Connection reset by api acme com'
          when e = 4 then 'The credential was refused 401 Unauthorized'
          else 'The input does not match the action schema title is required' end as message,
        case when status = 'failed' and e < 4 then 'true' else 'false' end as retryable,
        case when e = 0 then 'Wait for the rate limit window' when e = 4 then 'Reconnect the credential'
          else 'Check the upstream status page' end as hint,
        case when status in ('queued', 'running', 'cancelled') then 'null' when status = 'succeeded' then '200'
          when e = 0 then '429' when e = 1 then '502' when e = 4 then '401' else 'null' end as http_status,
        case
          when tool = 'http' then '{"method":"GET","url":"https://api.acme.com/v2/orders/' || n ||
            '","reference":"order ' || n || marks || '"}'
          when tool = 'github' then '{"repo":"acme/storefront","title":"Checkout fails for order ' || n ||
            '","labels":["bug","p' || (n % 4) || '"],"reference":"order ' || n || marks || '"}'
          when tool = 'slack' then '{"channel":"#ops-alerts","text":"Deploy ' || n ||
            ' of acme storefront finished","reference":"order ' || n || marks || '"}'
          else '{"email":"customer' || (n % 50000) || '@acme.com","name":"Acme customer ' || n ||
            '","reference":"order ' || n || marks || '"}' end as input,
        case
          when tool = 'http' then 'GET https api acme com v2 orders ' || n || ' order ' || n || marks
          when tool = 'github' then 'acme storefront Checkout fails for order ' || n || ' bug p' || (n % 4) ||
            ' order ' || n || marks
          when tool = 'slack' then 'ops alerts Deploy ' || n || ' of acme storefront finished order ' || n || marks
          else 'customer' || (n % 50000) || ' acme com Acme customer ' || n || ' order ' || n || marks end
          as input_words,
        case
          when tool = 'http' then '{"status":200,"body":{"id":' || n || ',"state":"paid","total":' || (n % 9973) || '}}'
          when tool = 'github' then '{"number":' || (n % 5000) ||
            ',"url":"https://github.com/acme/storefront/issues/' || (n % 5000) || '","state":"open"}'
          when tool = 'slack' then '{"ok":true,"channel":"C024BE91L","ts":"1700000000.' || n || '"}'
          else '{"id":"cus_' || h || '","livemode":false}' end as output,
        case
          when tool = 'http' then '200 ' || n || ' paid ' || (n % 9973)
          when tool = 'github' then (n % 5000) || ' https github com acme storefront issues ' || (n % 5000) || ' open'
          when tool = 'slack' then 'true C024BE91L 1700000000 ' || n
          else 'cus ' || h || ' false' end as output_words
      from (
        select n, ts, ${hex12(sql`ts`)} as h, e, duration, marks,
          case when t < 8 then 'http' when t < 13 then 'github' when t < 18 then 'slack' else 'stripe' end as tool,
          case when t < 8 then 'request' when t < 13 then 'create_issue' when t < 18 then 'post_message'
            else 'create_customer' end as action,
          case
            when n > ${integer(workspace.rows - 20)} then case when n % 2 = 0 then 'running' else 'queued' end
            when s < 10 then 'failed' when s < 12 then 'cancelled' else 'succeeded' end as status
        from (
          select n,
            ${integer(chunk.start)} + n * ${integer(chunk.step)} as ts,
            (n / 3) % 20 as t,
            (n % 100 + n / 10000) % 100 as s,
            n % 6 as e,
            40 + (n * 37) % 900 as duration,
            case when n % 10 = 7 then ${text(` ${words.medium}`)} else '' end ||
              case when n % 10000 = 4321 then ${text(` ${words.rare}`)} else '' end ||
              case when n <= ${integer(oldRows)} then ${text(` ${words.old}`)} else '' end as marks
          from ${source}
        ) as picked
      ) as typed
    ) as described`.execute(db)
}

// ---------------------------------------------------------------------------------------------------
// The databases

interface BenchDatabase {
  readonly database: Database
  readonly label: string
  /** The SQLite file or the PostgreSQL URL. */
  readonly location: string
  /** Bytes on disk: the SQLite file (after a WAL checkpoint) or `pg_database_size`. */
  size(): Promise<number>
  drop(): Promise<void>
}

async function createBenchDatabase(dialect: Dialect): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-bench-search-'))
    const file = path.join(dir, 'toolplane.db')
    const database = openDatabase({ kind: 'sqlite', path: file })
    const { rows } = await sql<{ version: string }>`select sqlite_version() as version`.execute(database.db)
    let dropping: Promise<void> | undefined
    return {
      database,
      label: `SQLite ${rows[0]?.version ?? ''}`.trim(),
      location: file,
      async size() {
        await sql`pragma wal_checkpoint(truncate)`.execute(database.db)
        const sizeOf = (name: string) => (fs.existsSync(name) ? fs.statSync(name).size : 0)
        return sizeOf(file) + sizeOf(`${file}-wal`)
      },
      drop: () =>
        (dropping ??= (async () => {
          await database.close()
          fs.rmSync(dir, { recursive: true, force: true })
        })()),
    }
  }

  const name = `toolplane_bench_${randomBytes(6).toString('hex')}`
  const administer = async (statement: string) => {
    const admin = openDatabase({ kind: 'postgres', url: postgresAdminUrl, poolSize: 1 })
    try {
      await sql.raw(statement).execute(admin.db)
    } finally {
      await admin.close()
    }
  }
  await administer(`create database ${name}`)
  const url = new URL(postgresAdminUrl)
  url.pathname = `/${name}`
  const database = openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 5 })
  const { rows } = await sql<{ server_version: string }>`show server_version`.execute(database.db)
  // Once only: an interrupt and the run's own cleanup may both ask, and both wait for the same drop.
  let dropping: Promise<void> | undefined
  return {
    database,
    label: `PostgreSQL ${rows[0]?.server_version.split(' ')[0] ?? ''}`.trim(),
    location: url.toString(),
    async size() {
      // int8 comes back as a number from Toolplane's pool (see openDatabase).
      const result = await sql<{
        bytes: number
      }>`select pg_database_size(current_database()) as bytes`.execute(database.db)
      return result.rows[0]?.bytes ?? NaN
    },
    drop: () =>
      (dropping ??= (async () => {
        await database.close()
        await administer(`drop database if exists ${name} with (force)`)
      })()),
  }
}

// ---------------------------------------------------------------------------------------------------
// The queries

interface Query {
  readonly label: string
  readonly filter: ExecutionFilter
  /** Rows of the matching set before this page: 0 for a first page, 50 for the second. */
  readonly skip: number
}

const pageSize = 50

function queries(newest: number): Query[] {
  const day = 24 * 3600_000
  const from = newest - 10 * day
  const to = from + day
  return [
    { label: 'newest page, no filter', filter: {}, skip: 0 },
    { label: 'status=failed', filter: { status: 'failed' }, skip: 0 },
    {
      label: 'tool=stripe&action=create_customer',
      filter: { tool: 'stripe', action: 'create_customer' },
      skip: 0,
    },
    { label: `q=${words.rare} (1 in 10,000)`, filter: { q: words.rare }, skip: 0 },
    { label: `q=${words.medium} (1 in 10)`, filter: { q: words.medium }, skip: 0 },
    { label: `q=${words.common} (every row)`, filter: { q: words.common }, skip: 0 },
    { label: `q=${words.rare}&status=failed`, filter: { q: words.rare, status: 'failed' }, skip: 0 },
    { label: `q=${words.medium}, second page (cursor)`, filter: { q: words.medium }, skip: pageSize },
    { label: `q=${words.medium}&status=failed`, filter: { q: words.medium, status: 'failed' }, skip: 0 },
    {
      label: 'from/to: one day, 10 days back',
      filter: { from, to },
      skip: 0,
    },
    {
      label: `q=${words.old} (oldest ${oldRows.toLocaleString('en-US')} rows only)`,
      filter: { q: words.old },
      skip: 0,
    },
  ]
}

/**
 * How many rows of the workspace match the filter, counted without the store (and untimed), so
 * each page the store returns can be checked against it.
 */
async function countMatches(
  database: Database,
  workspaceId: string,
  filter: ExecutionFilter,
): Promise<number> {
  const { db, dialect } = database
  let query = db
    .selectFrom('executions')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('workspace_id', '=', workspaceId)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.tool !== undefined) query = query.where('tool', '=', filter.tool)
  if (filter.action !== undefined) query = query.where('action', '=', filter.action)
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from)
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to)
  const terms = filter.q === undefined ? [] : searchWords(filter.q)
  if (terms.length > 0) {
    query =
      dialect === 'sqlite'
        ? query.where(
            sql<boolean>`rowid in (select rowid from executions_fts where executions_fts match ${terms.map((w) => `"${w}"*`).join(' ')})`,
          )
        : query.where(
            sql<boolean>`to_tsvector('simple', search_text) @@ to_tsquery('simple', ${terms.map((w) => `${w}:*`).join(' & ')})`,
          )
  }
  const row = await query.executeTakeFirst()
  return Number(row?.count ?? 0)
}

interface QueryResult {
  readonly label: string
  readonly matches: number
  /** Which of the store's two plans a free-text query takes, or null without `q`. */
  readonly plan: 'full-text index' | 'newest first' | null
  readonly pageRows: number
  readonly expectedPageRows: number
  readonly latency: LatencySummary
}

interface DialectResult {
  readonly label: string
  readonly rows: number
  readonly otherRows: number
  readonly insertMs: number
  readonly analyzeMs: number
  readonly analyze: string
  readonly bytes: number
  readonly queries: readonly QueryResult[]
}

async function runDialect(dialect: Dialect, options: Options): Promise<DialectResult> {
  const bench = await createBenchDatabase(dialect)
  const stop = () => {
    interrupted = true
    progress('interrupted: dropping the bench database')
    bench.drop().then(
      () => process.exit(130),
      () => process.exit(130),
    )
  }
  process.once('SIGINT', stop)
  try {
    const { database } = bench
    const { db } = database
    progress(`${bench.label}: migrating`)
    await migrateUp(db)

    const main: Workspace = { id: 'ws_search_bench', slug: 'search-bench', tag: '001', rows: options.rows }
    const other: Workspace = {
      id: 'ws_search_bench_other',
      slug: 'search-bench-other',
      tag: '002',
      rows: options.otherRows,
    }
    const now = Date.now()
    const start = now - span
    for (const workspace of [main, other]) {
      await db
        .insertInto('workspaces')
        .values({
          id: workspace.id,
          slug: workspace.slug,
          name: workspace.slug,
          monthly_execution_quota: null,
          api_rate_limit: null,
          created_at: start,
          updated_at: start,
        })
        .execute()
    }

    // Both workspaces over the same 30 days, inserted a tenth at a time in time order, as they would
    // have been recorded; each chunk is one statement and one transaction.
    const chunks = 10
    // SQLite indexes recorded rows for full-text search in batches behind the writes; each chunk is one.
    const indexer = executionStore(db, dialect)
    const begun = performance.now()
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      for (const workspace of [main, other]) {
        const first = Math.floor((workspace.rows * chunk) / chunks) + 1
        const last = Math.floor((workspace.rows * (chunk + 1)) / chunks)
        if (last < first) continue
        await insertChunk(database, {
          workspace,
          first,
          last,
          start,
          step: Math.floor(span / Math.max(workspace.rows, 1)),
        })
      }
      await indexer.indexWaiting()
      await turn()
      const inserted = Math.floor(((options.rows + options.otherRows) * (chunk + 1)) / chunks)
      progress(
        `${bench.label}: ${inserted.toLocaleString('en-US')} rows inserted (${((performance.now() - begun) / 1000).toFixed(1)} s)`,
      )
    }
    const insertMs = performance.now() - begun

    // SQLite: ANALYZE fills sqlite_stat1 for the planner. PostgreSQL: VACUUM ANALYZE, which
    // autovacuum would soon do after such a bulk insert anyway: it flushes the GIN index's pending
    // list and sets the visibility map, besides the planner's statistics.
    const analyze = dialect === 'sqlite' ? 'analyze' : 'vacuum (analyze) executions'
    const analyzed = performance.now()
    await sql.raw(analyze).execute(db)
    const analyzeMs = performance.now() - analyzed
    const bytes = await bench.size()
    progress(
      `${bench.label}: inserted in ${(insertMs / 1000).toFixed(1)} s, ${analyze} in ${(analyzeMs / 1000).toFixed(1)} s; ` +
        `${(bytes / 1024 ** 2).toFixed(0)} MB on disk`,
    )

    const store = executionStore(db, dialect)
    const newest = start + options.rows * Math.floor(span / options.rows)
    const results: QueryResult[] = []
    for (const query of queries(newest)) {
      let page: PageRequest = pageRequest({ limit: pageSize })
      if (query.skip > 0) {
        // The cursor a client would send back: the first page's nextCursor, through the API's own encoding.
        const first = await store.list(main.id, query.filter, page)
        const cursor = toPage(first, pageSize, (row) => row.id).nextCursor
        page = pageRequest(cursor === null ? { limit: pageSize } : { limit: pageSize, cursor })
      }
      const run = () => store.list(main.id, query.filter, page)
      for (let i = 0; i < options.warmup; i += 1) await run()
      const samples = new Float64Array(options.repetitions)
      let returned = 0
      for (let i = 0; i < options.repetitions; i += 1) {
        await turn()
        const started = performance.now()
        const rows = await run()
        samples[i] = performance.now() - started
        // Rows of another workspace would be a leak: they do not count towards the page.
        returned = rows.slice(0, pageSize).filter((row) => row.workspace_id === main.id).length
      }
      const matches = await countMatches(database, main.id, query.filter)
      const wordMatches =
        query.filter.q === undefined ? null : await countMatches(database, main.id, { q: query.filter.q })
      const result: QueryResult = {
        label: query.label,
        matches,
        plan: wordMatches === null ? null : wordMatches >= searchWindow ? 'newest first' : 'full-text index',
        pageRows: returned,
        expectedPageRows: Math.max(0, Math.min(pageSize, matches - query.skip)),
        latency: summarizeLatencies(samples),
      }
      results.push(result)
      progress(
        `  ${query.label}: p50 ${result.latency.p50.toFixed(2)} ms, p95 ${result.latency.p95.toFixed(2)} ms, ` +
          `max ${result.latency.max.toFixed(2)} ms (${String(returned)} rows of ${matches.toLocaleString('en-US')})`,
      )
    }
    return {
      label: bench.label,
      rows: options.rows,
      otherRows: options.otherRows,
      insertMs,
      analyzeMs,
      analyze,
      bytes,
      queries: results,
    }
  } finally {
    process.removeListener('SIGINT', stop)
    if (options.keep) {
      await bench.database.close()
      progress(`${bench.label}: kept ${bench.location}`)
    } else await bench.drop()
  }
}

// ---------------------------------------------------------------------------------------------------
// The report

function milliseconds(value: number): string {
  if (Number.isNaN(value)) return '–'
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)
}

function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

/** One dialect's figures as an aligned Markdown table. */
function formatQueries(results: readonly QueryResult[]): string {
  const header = ['query', 'matching rows', 'plan', 'page rows', 'p50 (ms)', 'p95 (ms)', 'max (ms)']
  const cells = results.map((result) => [
    result.label,
    integer(result.matches),
    result.plan ?? '–',
    result.pageRows === result.expectedPageRows
      ? String(result.pageRows)
      : `${String(result.pageRows)} (expected ${String(result.expectedPageRows)})`,
    milliseconds(result.latency.p50),
    milliseconds(result.latency.p95),
    milliseconds(result.latency.max),
  ])
  return markdownTable(header, cells, (column) => column === 1 || column >= 3).join('\n')
}

function formatDialect(result: DialectResult): string {
  const total = result.rows + result.otherRows
  return [
    `${integer(total)} rows inserted in ${(result.insertMs / 1000).toFixed(1)} s ` +
      `(${integer(total / (result.insertMs / 1000))} rows/s, FTS/GIN index included); ` +
      `\`${result.analyze}\` ${(result.analyzeMs / 1000).toFixed(1)} s; ` +
      `database ${(result.bytes / 1024 ** 2).toFixed(0)} MB on disk.`,
    '',
    formatQueries(result.queries),
  ].join('\n')
}

interface SearchReport {
  readonly command: string
  readonly date: string
  readonly revision: string | null
  readonly machine: Machine
  readonly options: Options
  readonly results: readonly DialectResult[]
  /** 1-minute load average before and after the run. */
  readonly load: readonly [number, number]
}

function formatReport(report: SearchReport): string {
  const { machine, options } = report
  return [
    '## Search over a million executions',
    '',
    `\`npm run bench:search\` fills a fresh database with ${integer(options.rows)} generated executions in one ` +
      `workspace and ${integer(options.otherRows)} in a second one sharing the same words, then times ` +
      '`GET /v1/executions` queries. It calls the execution store (`executionStore(db, dialect).list`) ' +
      'directly in its own process: no HTTP, authentication or JSON, only the query planning and the ' +
      `database. Each query runs ${String(options.warmup)} times untimed, then ${String(options.repetitions)} ` +
      'times timed, one after another; pages hold 50 rows. How it works: `bench/README.md`.',
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}${report.revision === null ? '' : ` (revision ${report.revision})`}`,
    `- machine: ${machine.cpu}, ${String(machine.cpus)} CPUs, ${machine.memoryGb.toFixed(1)} GB memory; ` +
      `Node.js ${machine.node}; ${machine.os}`,
    `- rows: over 30 days; 88 % succeeded, 10 % failed (six error classes), 2 % cancelled; four actions; ` +
      `\`${words.rare}\` in 1 row of 10,000, \`${words.medium}\` in 1 of 10, \`${words.common}\` in every row, ` +
      `\`${words.old}\` in the oldest ${integer(oldRows)} rows only`,
    `- plan: \`q\` first walks the newest ${integer(searchWindow)} rows that pass the other filters, testing each ` +
      "row's text, and stops when the page is full; when it is not, older matches come from the full-text " +
      'index. The column says which part is expected to fill the page: _newest first_ for a word with at ' +
      `least ${integer(searchWindow)} matches, _full-text index_ otherwise`,
    '- matching rows: rows of the searched workspace matching all of the query, counted separately; ' +
      'page rows: rows the store returned for the page (checked against the count)',
    `- no plan tests more than ${integer(searchWindow)} rows one by one; the full-text index part costs in proportion ` +
      `to the word's matches older than the window (all of them for \`${words.old}\`, the worst case)`,
    `- 1-minute load average: ${report.load[0].toFixed(2)} before the run, ${report.load[1].toFixed(2)} at its end ` +
      `(the benchmark itself keeps up to two CPUs busy, its own and PostgreSQL's; more means other work shared the machine)`,
    '',
    ...report.results.flatMap((result) => [`### ${result.label}`, '', formatDialect(result), '']),
  ].join('\n')
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const machine = describeMachine()
  progress(
    `Toolplane search benchmark — ${machine.cpu}, ${String(machine.cpus)} CPUs, Node.js ${machine.node}; ` +
      `${integer(options.rows)} + ${integer(options.otherRows)} rows on ${options.dialects.join(', ')}`,
  )
  const loadBefore = os.loadavg()[0] ?? 0
  const results: DialectResult[] = []
  for (const dialect of options.dialects) results.push(await runDialect(dialect, options))

  const report: SearchReport = {
    command: `npm run bench:search${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    revision: gitRevision(repositoryRoot),
    machine,
    options,
    results,
    load: [loadBefore, os.loadavg()[0] ?? 0],
  }
  const out = (text: string) => process.stdout.write(`${text}\n`)
  for (const result of results) {
    out('')
    out(`${result.label}: ${formatDialect(result)}`)
  }
  const wrong = results.flatMap((result) =>
    result.queries.filter((q) => q.pageRows !== q.expectedPageRows).map((q) => `${result.label}: ${q.label}`),
  )
  if (wrong.length > 0) out(`\nPages of the wrong size: ${wrong.join('; ')}`)
  if (options.write) {
    const file = path.join(repositoryRoot, 'docs/benchmarks.md')
    await writeSection(file, 'search-results', formatReport(report))
    out(`\nWrote ${path.relative(process.cwd(), file)}.`)
  }
}

main().catch((error: unknown) => {
  // After Ctrl-C the run fails on its closed database; the interrupt handler exits once it is dropped.
  if (interrupted) return
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
