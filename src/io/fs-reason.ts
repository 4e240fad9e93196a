import { constants } from 'node:buffer';

// What a failed file-system call means, in words, for the messages that name the file: the
// snapshot inputs, the configuration and intent files.

/** The most characters one string holds, in MiB: a longer file can't be read as text. */
const MAX_STRING_MIB = Math.floor(constants.MAX_STRING_LENGTH / 2 ** 20);

export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ELOOP':
      return 'symbolic link loop (too many levels of links)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a path segment is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'ERR_STRING_TOO_LONG':
      return `the file is larger than the ${MAX_STRING_MIB} MiB of text Node.js can hold in one string: split it (one file per subscription)`;
    default:
      // Reading past the string limit can also surface as a bare RangeError without a code.
      if (error instanceof RangeError && /string length/i.test(error.message)) return fsReason({ code: 'ERR_STRING_TOO_LONG' });
      return (error as Error)?.message ?? String(error);
  }
}
