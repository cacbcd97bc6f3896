import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Left out of watching: `node_modules`, and dot-files and dot-folders. */
const unwatched = (name: string) => name === 'node_modules' || name.startsWith('.');

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Watches a folder and its subfolders (new ones too) for changed files, leaving out what
 * `unwatched` names. One watcher per folder: a recursive `fs.watch` would also watch every file
 * under node_modules. Returns the function that stops watching.
 */
export function watchFolder(root: string, onChange: (file: string) => void): () => void {
  const watchers = new Map<string, FSWatcher>();
  const forget = (folder: string) => {
    for (const [dir, watcher] of watchers) {
      if (dir === folder || dir.startsWith(`${folder}${sep}`)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
  };
  const add = (folder: string) => {
    if (watchers.has(folder)) return;
    let watcher: FSWatcher;
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
      watcher = watch(folder, (_type, name) => {
        const part = String(name ?? '');
        if (part === '' || unwatched(part)) return;
        const path = join(folder, part);
        if (isFolder(path)) add(path);
        else forget(path);
        onChange(relative(root, path));
      });
    } catch {
      return; // The folder went away meanwhile.
    }
    watcher.on('error', () => forget(folder));
    watchers.set(folder, watcher);
    for (const entry of entries) {
      if (entry.isDirectory() && !unwatched(entry.name)) add(join(folder, entry.name));
    }
  };
  add(root);
  return () => forget(root);
}
