/**
 * A group folder's documents that are not queue state: the plan copy. (A run folder's request.json and
 * result.json are read and written by src/run/files/documents.ts, with every other run-folder file.)
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from './json-file.js';
import { groupDir, type WorkspacePaths } from './paths.js';

/** Writes a file into a group's folder (the plan copy), creating the folder. */
export async function writeGroupFile(ws: WorkspacePaths, groupId: string, name: string, doc: unknown): Promise<void> {
  await mkdir(groupDir(ws, groupId), { recursive: true });
  await writeJsonAtomic(path.join(groupDir(ws, groupId), name), doc);
}
