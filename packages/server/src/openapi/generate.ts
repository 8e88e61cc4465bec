import fs from 'node:fs'
import path from 'node:path'
import { generatedFiles, repositoryRoot } from './generated.js'

// `npm run generate`: rewrites the committed generated files from the code.
for (const [file, content] of Object.entries(await generatedFiles())) {
  const target = path.join(repositoryRoot, file)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.writeFileSync(target, content)
  process.stdout.write(`wrote ${file}\n`)
}
