import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What a generated apps/ tree holds. */
export interface AppTree {
  /** Folders that can hold app code (what code reload watches), apps/ included. */
  codeFolders: number;
  files: number;
  /** One .py file per doctype folder, to change. */
  pyFiles: string[];
}

/**
 * An apps/ tree shaped like a real bench's: `apps` apps of `modules` modules of `doctypes`
 * doctype folders, each with `perFolder` .py, .json and .js files and a __pycache__; and a
 * node_modules of `nodeModules` files per app, which code reload must skip.
 */
export function makeAppTree(root: string, opts: { apps: number; modules: number; doctypes: number; perFolder: number; nodeModules: number }): AppTree {
  const pyFiles: string[] = [];
  let files = 0;
  let codeFolders = 1; // apps/
  for (let a = 0; a < opts.apps; a++) {
    const app = path.join(root, `app${a}`, `app${a}`);
    codeFolders += 2;
    for (let m = 0; m < opts.modules; m++) {
      codeFolders += 2; // module, module/doctype
      for (let d = 0; d < opts.doctypes; d++) {
        const dir = path.join(app, `module${m}`, 'doctype', `doctype${d}`);
        mkdirSync(path.join(dir, '__pycache__'), { recursive: true });
        codeFolders++;
        for (let f = 0; f < opts.perFolder; f++) {
          const ext = ['py', 'json', 'js'][f % 3]!;
          const file = path.join(dir, `file${f}.${ext}`);
          writeFileSync(file, ext === 'json' ? '{}\n' : `# ${f}\n`);
          if (f === 0) pyFiles.push(file);
          files++;
        }
        writeFileSync(path.join(dir, '__pycache__', 'file0.cpython-311.pyc'), '');
      }
    }
    for (let i = 0; i < opts.nodeModules; i += 10) {
      const pkg = path.join(root, `app${a}`, 'node_modules', `pkg${i}`, 'lib');
      mkdirSync(pkg, { recursive: true });
      for (let j = 0; j < 10; j++) writeFileSync(path.join(pkg, `f${j}.js`), '');
      files += 10;
    }
  }
  return { codeFolders, files, pyFiles };
}

/** The inotify watches a process holds (every inotify instance it has open), from /proc. */
export function inotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      n += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
