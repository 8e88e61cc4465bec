import type { Tool, ToolSummary } from '../api/tools.js'

/** A catalog entry with sensible defaults. */
export function toolSummary(overrides: Partial<ToolSummary> & { slug: string }): ToolSummary {
  return {
    name: overrides.slug.charAt(0).toUpperCase() + overrides.slug.slice(1),
    description: `The ${overrides.slug} API.`,
    version: '1.0.0',
    categories: [],
    icon: null,
    source: 'builtin',
    authMethods: [{ id: 'token', kind: 'bearer', title: 'Access token' }],
    actions: [],
    ...overrides,
  }
}

/** A small catalog like the built-in one. */
export const sampleTools: ToolSummary[] = [
  toolSummary({
    slug: 'github',
    name: 'GitHub',
    description: 'Repositories, issues and pull requests.',
    categories: ['Developer tools'],
    actions: [
      { name: 'create_issue', title: 'Create an issue', description: 'Opens an issue.' },
      { name: 'list_repos', title: 'List repositories', description: 'Lists repositories.' },
    ],
  }),
  toolSummary({
    slug: 'slack',
    name: 'Slack',
    description: 'Messages and channels.',
    categories: ['Communication'],
    actions: [{ name: 'send_message', title: 'Send a message', description: 'Posts to a channel.' }],
  }),
  toolSummary({
    slug: 'linear',
    name: 'Linear',
    description: 'Issue tracking for software teams.',
    categories: ['Developer tools', 'Project management'],
    actions: [{ name: 'create_issue', title: 'Create an issue', description: 'Creates an issue.' }],
  }),
  toolSummary({
    slug: 'smtp',
    name: 'Email (SMTP)',
    description: 'Sends email through any SMTP server.',
    categories: ['Communication'],
    actions: [{ name: 'send_email', title: 'Send an email', description: 'Sends one email.' }],
  }),
  toolSummary({
    slug: 'http',
    name: 'HTTP',
    description: 'Any HTTP API.',
    categories: [],
    actions: [{ name: 'request', title: 'Send a request', description: 'One HTTP request.' }],
  }),
]

/** `count` generated tools spread over ten categories, named so that their order by name is their number. */
export function generatedTools(count: number): ToolSummary[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0')
    return toolSummary({
      slug: `tool_${n}`,
      name: `Tool ${n}`,
      categories: [`Category ${i % 10}`],
      actions: [{ name: `action_${n}`, title: `Action ${n}`, description: '' }],
    })
  })
}

/** A full tool as `GET /v1/tools/{tool}` returns it. */
export function fullTool(overrides: Partial<Tool> = {}): Tool {
  return {
    slug: 'github',
    name: 'GitHub',
    description: 'Repositories, issues and pull requests.',
    version: '2.1.0',
    categories: ['Developer tools'],
    icon: null,
    source: 'builtin',
    baseUrl: 'https://api.github.com',
    authMethods: [
      {
        id: 'token',
        kind: 'bearer',
        title: 'Personal access token',
        fields: {
          type: 'object',
          properties: { token: { type: 'string', title: 'Token', description: 'A fine-grained token.' } },
          required: ['token'],
        },
      },
      {
        id: 'oauth',
        kind: 'oauth2',
        title: 'GitHub app',
        fields: { type: 'object', properties: {} },
        grant: 'authorization_code',
        scopes: ['repo', 'read:org'],
      },
    ],
    actions: [
      {
        name: 'create_issue',
        id: 'github.create_issue',
        functionName: 'github__create_issue',
        title: 'Create an issue',
        description: 'Opens an issue in a repository.',
        input: { type: 'object' },
        output: { type: 'object' },
        examples: [],
        timeoutMs: 30_000,
        retry: { maxAttempts: 3, idempotent: false },
        scopes: ['repo'],
      },
    ],
    triggers: [],
    rateLimits: [{ scope: 'credential', limit: 5000, windowSeconds: 3600 }],
    healthCheck: true,
    ...overrides,
  }
}
