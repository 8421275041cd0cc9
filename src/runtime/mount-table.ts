import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One mounted file system: where, and of what type (`ext4`, `fuse.bindfs`, `9p`, `nfs4`). */
export interface Mount {
  point: string;
  type: string;
}

/**
 * File systems where the kernel's own watch (inotify) sees only the edits made through this very
 * machine's mount, not those made on the other side: FUSE (bindfs, sshfs, Docker Desktop's
 * grpcfuse, osxfs), WSL's drvfs and 9p, virtiofs, VirtualBox, VMware and Parallels shares,
 * network file systems. Code edited in the editor on the host lives there in a devcontainer.
 */
const BLIND = /^(fuse(\..+)?|fuseblk|9p|drvfs|virtiofs|vboxsf|vmhgfs|prl_fs|fakeowner|nfs4?|cifs|smb3|smbfs|ceph|glusterfs|afs)$/;

export function blindToOutsideEdits(type: string): boolean {
  return BLIND.test(type);
}

/**
 * /proc/self/mountinfo read into mounts (octal escapes of spaces and the like undone). A FUSE
 * mount that the kernel lists as plain `fuse` with its program as the source is named as other
 * kernels name it, `fuse.<program>`. Pure.
 */
export function parseMountInfo(text: string): Mount[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text.split('\n').flatMap((line) => {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f.length <= 4 || dash <= 4 || !f[dash + 1]) return [];
    const source = f[dash + 2] ?? '';
    const type = f[dash + 1] === 'fuse' && /^[\w-]+$/.test(source) ? `fuse.${source}` : f[dash + 1]!;
    return [{ point: unescape(f[4]!), type }];
  });
}

/**
 * The mounts that hold `root` or anything under it: the one `root` is on (the longest mount point
 * above it), and those mounted inside it. Empty where the mount table cannot be read.
 */
export function mountsOf(root: string, table: readonly Mount[] = readMounts()): Mount[] {
  const inside = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`);
  const holder = table.filter((m) => inside(root, m.point)).sort((a, b) => b.point.length - a.point.length)[0];
  return [...(holder ? [holder] : []), ...table.filter((m) => m.point !== root && inside(m.point, root))];
}

function readMounts(): Mount[] {
  try {
    return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}
