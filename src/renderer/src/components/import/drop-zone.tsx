import { useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';

/** A file as the drop zone hands it on: the File, and its path inside a dropped or picked folder. */
export interface PickedFile {
  file: File;
  relativePath: string;
}

interface Props {
  disabled: boolean;
  /** Electron: real paths of dropped files and folders. */
  pathForFile?: (file: File) => string;
  onFiles: (files: PickedFile[]) => void;
  onPaths: (paths: string[]) => void;
  /** Native dialog (Electron). */
  onBrowse?: () => void;
}

/**
 * Where evidence comes in: drop files, folders or archives, pick them, or
 * type a path (the engine runs on this machine, so a path is the fastest way
 * in for a 20 GB triage folder: nothing is copied).
 */
export function DropZone({ disabled, pathForFile, onFiles, onPaths, onBrowse }: Props) {
  const [over, setOver] = useState(false);
  const [typed, setTyped] = useState('');
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const onDrop = async (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    const dropped = Array.from(e.dataTransfer.files);
    if (pathForFile) {
      // Electron gives the real path of files and folders alike: import in place.
      const paths = dropped.map((f) => pathForFile(f)).filter((p) => p.length > 0);
      if (paths.length > 0) onPaths(paths);
      return;
    }
    const entries = Array.from(e.dataTransfer.items)
      .map((i) => i.webkitGetAsEntry?.())
      .filter((x): x is FileSystemEntry => Boolean(x));
    const files = entries.length > 0 ? await collectEntries(entries) : dropped.map((file) => ({ file, relativePath: file.name }));
    if (files.length > 0) onFiles(files);
  };

  const submitTyped = (e: FormEvent | KeyboardEvent<HTMLTextAreaElement>) => {
    e.preventDefault();
    const paths = typed
      .split('\n')
      .map((p) => p.trim())
      .filter(Boolean);
    if (paths.length > 0) {
      onPaths(paths);
      setTyped('');
    }
  };

  const picked = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    onFiles(Array.from(list).map((file) => ({ file, relativePath: file.webkitRelativePath || file.name })));
  };

  return (
    <div
      className={`drop-zone${over ? ' over' : ''}${disabled ? ' disabled' : ''}`}
      data-testid="drop-zone"
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => void onDrop(e)}
    >
      <div className="drop-target">
        <svg width="34" height="34" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
          <path d="M12 15V3m0 0-4 4m4-4 4 4M4 15v4a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-4" />
        </svg>
        <div>
          <strong>Drop files, folders or archives here</strong>
          <div className="muted">EVTX, JSON, syslog, auth.log, auditd, journald, Zeek, Suricata, IDS, web and firewall logs, CloudTrail, CSV, CEF/LEEF · zip, tar, tar.gz, gz</div>
        </div>
        <div className="drop-actions">
          {onBrowse ? (
            <button type="button" onClick={onBrowse} disabled={disabled} data-testid="browse-native">
              Browse…
            </button>
          ) : (
            <>
              <button type="button" onClick={() => filesInput.current?.click()} disabled={disabled} data-testid="pick-files">
                Choose files…
              </button>
              <button type="button" className="secondary" onClick={() => folderInput.current?.click()} disabled={disabled}>
                Choose folder…
              </button>
            </>
          )}
        </div>
      </div>
      <input ref={filesInput} type="file" multiple hidden data-testid="file-input" onChange={(e) => {
        picked(e.target.files);
        e.target.value = '';
      }} />
      <input
        ref={folderInput}
        type="file"
        hidden
        {...{ webkitdirectory: '', directory: '' }}
        onChange={(e) => {
          picked(e.target.files);
          e.target.value = '';
        }}
      />
      <form className="path-form" onSubmit={submitTyped}>
        <label htmlFor="import-path">Or paths on this machine: files, folders or archives, one per line (Shift+Enter for another)</label>
        <div className="input-row">
          <textarea
            id="import-path"
            rows={Math.min(6, Math.max(1, typed.split('\n').length))}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            onKeyDown={(e) => {
              // Enter imports; Shift+Enter adds another path on a new line.
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                submitTyped(e);
              }
            }}
            placeholder="/evidence/triage/host42"
            disabled={disabled}
            data-testid="import-path"
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" disabled={disabled || typed.trim() === ''} data-testid="import-path-submit">
            Import
          </button>
        </div>
      </form>
    </div>
  );
}

/** Walk dropped folders (browser mode) into files with their relative paths. Bounded: 100,000 files. */
async function collectEntries(entries: FileSystemEntry[]): Promise<{ file: File; relativePath: string }[]> {
  const out: { file: File; relativePath: string }[] = [];
  const stack = [...entries];
  while (stack.length > 0 && out.length < 100_000) {
    const entry = stack.pop() as FileSystemEntry;
    if (entry.isFile) {
      const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
      out.push({ file, relativePath: entry.fullPath.replace(/^\//, '') });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns the children in batches until an empty one.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        stack.push(...batch);
      }
    }
  }
  return out;
}
