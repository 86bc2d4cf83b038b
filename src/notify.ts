// Every notification of the extension: the message may quote workspace text, so it goes through
// uiText (no command links, no icons, capped) before VS Code renders it.
import * as vscode from 'vscode';
import { uiText } from './uiText';

export const notify = {
  error: (message: string) => vscode.window.showErrorMessage(uiText(message)),
  warning: (message: string) => vscode.window.showWarningMessage(uiText(message)),
  info: (message: string) => vscode.window.showInformationMessage(uiText(message)),
};
