import { useRef, useState } from 'react'
import { Button } from 'react-aria-components'
import { useSampleInput } from '../api/actions.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import '../styles/actions.css'

/** The largest seed the server takes. */
const maxSeed = 2 ** 31 - 1

export interface TestDataGeneratorProps {
  /** The tool's slug. */
  readonly tool: string
  /** The action's name (not `tool.action`). */
  readonly action: string
  /** Receives the sample input, to fill the form with. */
  readonly onFill: (input: unknown) => void
  /** The first seed; each press uses the next. A random one by default, so each visit varies. */
  readonly initialSeed?: number
}

/**
 * "Fill with sample data": asks the server for a valid input of the action
 * (`GET /v1/tools/{tool}/actions/{action}/sample-input?seed=N`: the action's own examples first, then
 * values generated from its schema), fills the form with it, and tells screen readers so. Each press
 * uses a new seed, so pressing again gives another sample.
 *
 * @example
 * <TestDataGenerator tool="http" action="request" onFill={setInput} />
 */
export function TestDataGenerator({ tool, action, onFill, initialSeed }: TestDataGeneratorProps) {
  const sample = useSampleInput(tool, action)
  const nextSeed = useRef(initialSeed ?? Math.floor(Math.random() * 1000))
  const [filled, setFilled] = useState<{ seed: number; count: number } | null>(null)

  const fill = () => {
    const seed = nextSeed.current
    nextSeed.current = (seed + 1) % maxSeed
    sample.mutate(seed, {
      onSuccess: (result) => {
        onFill(result.input)
        setFilled((previous) => ({ seed: result.seed, count: (previous?.count ?? 0) + 1 }))
      },
    })
  }

  return (
    <div className="sample-data">
      <Button className="button" onPress={fill} isPending={sample.isPending}>
        Fill with sample data
      </Button>
      {/* A new sentence each time (the count), so a second fill is announced too. */}
      <p role="status" className="sample-data-status muted small">
        {sample.isPending
          ? 'Getting a sample input…'
          : filled === null
            ? ''
            : `The form was filled with sample data (sample ${filled.count}, seed ${filled.seed}). Check it before running: it may call the real service.`}
      </p>
      {sample.error !== null && (
        <ApiErrorDisplay
          error={sample.error}
          headingLevel={3}
          title="Could not get sample data"
          onRetry={fill}
        />
      )}
    </div>
  )
}
