import fs from 'node:fs'

/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went: self time by function
 * and by package, the first question when a benchmark number disappoints.
 */

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly hitCount?: number
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples?: readonly number[]
}

// The package a script belongs to: an npm package, a workspace package, or Node's own code.
function packageOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  if (url.startsWith('node:')) return 'node (built-in)'
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (inModules?.[1] !== undefined) return inModules[1]
  const inRepository = /\/(packages|plugins)\/([^/]+)\//.exec(url)
  if (inRepository?.[2] !== undefined) return `${inRepository[1] ?? ''}/${inRepository[2]}`
  return url.replace(/^file:\/\//, '')
}

function location(node: ProfileNode): string {
  const { url, lineNumber, functionName } = node.callFrame
  const name = functionName === '' ? '(anonymous)' : functionName
  if (url === '') return name
  const file = url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(packages|plugins)\//, '$1/')
  return `${name} ${file}:${String(lineNumber + 1)}`
}

/**
 * The top entries of a CPU profile by self time, as Markdown-ish text.
 *
 * @example
 * process.stdout.write(summarizeProfile('/tmp/prof/CPU.cpuprofile'))
 */
export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile
  const hits = new Map<number, number>()
  if (profile.samples !== undefined) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0)
  }
  const total = [...hits.values()].reduce((sum, n) => sum + n, 0)
  if (total === 0) return 'The profile has no samples.\n'
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0
    if (count === 0) continue
    const name = location(node)
    byFunction.set(name, (byFunction.get(name) ?? 0) + count)
    const pkg = packageOf(node)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count)
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6
  const list = (entries: Map<string, number>, limit: number) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, count]) => `  ${((count / total) * 100).toFixed(1).padStart(5)} %  ${name}`)
      .join('\n')
  return [
    `CPU profile of Toolplane: ${String(total)} samples over ${seconds.toFixed(1)} s (${file})`,
    '',
    'Self time by package:',
    list(byPackage, 15),
    '',
    `Self time by function (top ${String(top)}):`,
    list(byFunction, top),
    '',
  ].join('\n')
}
