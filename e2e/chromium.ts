// Debian's Chromium as the browser journeys and bench/web-ui.ts launch it: the system's binary (never
// a browser download), headless, with nothing of its own reaching the network.
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'

export const chromiumPath = '/usr/bin/chromium'

/**
 * Launches `/usr/bin/chromium` headless.
 *
 * @example
 * const browser = await launchChromium()
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
