/** One entry of an archive as the pipeline sees it. */
export type ArchiveItem =
  /** Extracted to `file` (a temp file the consumer deletes once imported). */
  | {
      type: 'member';
      name: string;
      file: string;
      size: number;
      sha256: string;
      mtime: string | null;
      /** Set when the member could only be read in part (truncated archive, damaged data). */
      problem: string | null;
    }
  /** Not extracted, for a reason the analyst should see (zip slip, symlink, password, unsupported method). */
  | { type: 'refused'; name: string; reason: string; size: number | null; mtime: string | null }
  /** Not evidence (OS metadata such as __MACOSX/ resource forks); counted in the archive's message. */
  | { type: 'skipped'; name: string; reason: string }
  /** Something about the archive itself worth a line in its message (trailing bytes ignored...). */
  | { type: 'note'; text: string };

export interface ArchiveReadOptions {
  /** Folder for extracted members (inside the case's tmp/). */
  tmpDir: string;
  signal?: AbortSignal;
}
