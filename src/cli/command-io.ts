/** Where a command's lines go: `say` the result (stdout, silent under --json), `note` progress and warnings (stderr). */
export interface CommandIo {
  say: (line: string) => void
  note: (line: string) => void
}
