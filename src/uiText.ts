// Text from the workspace (file names, JSON keys, tensor names, tokens, engine errors quoting them)
// shown in VS Code's own UI. Notifications and notification progress turn `[label](command:…)` into
// a link that runs the command with its arguments, and notifications, quick picks and the status
// bar draw `$(name)` as an icon. So every such text goes through uiText, and every notification
// through notify.ts (a unit test checks that no other file calls vscode.window.show*Message).
// No vscode import: unit-tested in plain Node.

/** Longest text shown; VS Code itself cuts notifications at 1000 characters. */
export const MAX_UI_TEXT = 500;

// C0/C1 controls (VS Code turns newlines into spaces anyway) and bidi overrides, which can make
// shown text read differently from what it is.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/**
 * `s` as plain text for a notification, progress message, quick pick item or status bar:
 * - `](` becomes `] (`: VS Code's link syntax needs the two adjacent (its parser:
 *   /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)…\)/), so no link survives;
 * - `$(` becomes `\$(`, which VS Code draws as the literal `$(` instead of an icon;
 * - control and bidi-override characters become one space; the text is cut at `max` characters.
 */
export function uiText(s: string, max = MAX_UI_TEXT): string {
  let t = s.replace(INVISIBLE, ' ');
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return t.replace(/\]\(/g, '] (').replace(/\$\(/g, '\\$(');
}
