import { Label, RadioButton, RadioField, RadioGroup, Text } from 'react-aria-components'
import { useTheme } from './context.js'
import { themePreferences } from './theme.js'
import type { ThemePreference } from './theme.js'

const labels: Record<ThemePreference, string> = {
  system: 'System',
  light: 'Light',
  dark: 'Dark',
  contrast: 'High contrast',
}

function isPreference(value: string): value is ThemePreference {
  return (themePreferences as readonly string[]).includes(value)
}

/**
 * Chooses the theme: the system's (light, dark, or high contrast when the system asks for more
 * contrast), light, dark or high contrast. The choice is remembered in this browser.
 *
 * @example
 * <ThemeControl />
 */
export function ThemeControl() {
  const { preference, setPreference } = useTheme()
  return (
    <RadioGroup
      className="theme-control"
      orientation="horizontal"
      value={preference}
      onChange={(value) => {
        if (isPreference(value)) setPreference(value)
      }}
    >
      <Label className="theme-control-label">Theme</Label>
      <Text slot="description" className="visually-hidden">
        System follows your device’s light, dark or high-contrast setting.
      </Text>
      <div className="segmented">
        {themePreferences.map((option) => (
          <RadioField key={option} value={option} className="segmented-field">
            <RadioButton className="segmented-option">{labels[option]}</RadioButton>
          </RadioField>
        ))}
      </div>
    </RadioGroup>
  )
}
